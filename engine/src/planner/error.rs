//! [`PlanError`]: why a planning problem could not be solved. Bad input names the field.

use thiserror::Error;

/// Why the planner gave no plan.
#[derive(Clone, Debug, PartialEq, Error)]
pub enum PlanError {
    /// A field of the problem is out of range or inconsistent.
    #[error("invalid planning problem: `{field}`: expected {expected}, found {found}")]
    Invalid {
        /// The field, with its index where it has one (e.g. `queues[3].demand[1]`).
        field: String,
        /// What was expected.
        expected: &'static str,
        /// What was found.
        found: String,
    },
    /// A queue has no pool it may use (class, GPU kind and latency-eligible regions).
    #[error(
        "queue {queue} (queues[{index}]) has no eligible pool: no pool of its class in its regions"
    )]
    NoEligiblePool {
        /// Position in `queues`.
        index: usize,
        /// The queue's id.
        queue: String,
    },
    /// The budget is below what any plan that meets the other constraints must spend.
    #[error(
        "constraints.budget_usd = {budget_usd}: no plan meets the other constraints within it \
         (without the budget the best plan spends {unconstrained_spend_usd:.2} USD)"
    )]
    BudgetInfeasible {
        /// The budget asked for.
        budget_usd: f64,
        /// Expected spend of the best plan without the budget.
        unconstrained_spend_usd: f64,
    },
    /// The constraints admit no plan, and dropping the budget does not help.
    #[error("no plan meets the constraints ({active}); relax one of them")]
    Infeasible {
        /// The hard constraints that were active, by field name.
        active: String,
    },
    /// The solver failed (a HiGHS error status).
    #[error("the MILP solver failed: {0}")]
    Solver(String),
}

impl PlanError {
    pub(crate) fn invalid(
        field: impl Into<String>,
        expected: &'static str,
        found: impl ToString,
    ) -> PlanError {
        PlanError::Invalid { field: field.into(), expected, found: found.to_string() }
    }
}
