//! [`Capacity`]: the three dimensions a shard's local scheduler packs jobs into (milli-vCPUs,
//! MiB of memory, milli-GPUs), with checked arithmetic.
//!
//! The units are those of [`Resources`]: one vCPU is 1000 milli-CPUs and one GPU is 1000
//! milli-GPUs. The GPU *kind* is not part of a capacity; the scheduler matches it separately.
//! Capacities are only partially ordered: [`Capacity::fits_in`] is the order that matters, and
//! there is deliberately no `Ord`.

use serde::{Deserialize, Serialize};

use crate::job::Resources;

/// An amount of CPU, memory and GPU: what a node has, what is free on it, or what a job asks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Capacity {
    /// CPU in thousandths of a vCPU.
    pub cpu_milli: u64,
    /// Memory in MiB.
    pub memory_mib: u64,
    /// GPUs in thousandths of a GPU.
    pub gpu_milli: u64,
}

impl Capacity {
    /// Nothing at all.
    pub const ZERO: Capacity = Capacity { cpu_milli: 0, memory_mib: 0, gpu_milli: 0 };

    /// A capacity from its three components.
    pub const fn new(cpu_milli: u64, memory_mib: u64, gpu_milli: u64) -> Capacity {
        Capacity { cpu_milli, memory_mib, gpu_milli }
    }

    /// What a job's [`Resources`] ask for (the GPU kind is matched separately).
    pub fn from_resources(resources: &Resources) -> Capacity {
        Capacity {
            cpu_milli: resources.cpu_milli,
            memory_mib: resources.memory_mib,
            gpu_milli: resources.gpu_milli,
        }
    }

    /// The capacity of one instance with `vcpus` vCPUs, `memory_mib` MiB and `gpus` whole GPUs,
    /// or `None` if the milli-units overflow `u64`.
    pub fn for_instance(vcpus: u64, memory_mib: u64, gpus: u64) -> Option<Capacity> {
        Some(Capacity {
            cpu_milli: vcpus.checked_mul(1000)?,
            memory_mib,
            gpu_milli: gpus.checked_mul(1000)?,
        })
    }

    /// Whether every component of `self` is at most the same component of `other`.
    pub const fn fits_in(&self, other: &Capacity) -> bool {
        self.cpu_milli <= other.cpu_milli
            && self.memory_mib <= other.memory_mib
            && self.gpu_milli <= other.gpu_milli
    }

    /// The component-wise maximum: the smallest capacity both fit in.
    pub const fn component_max(&self, other: &Capacity) -> Capacity {
        const fn max(a: u64, b: u64) -> u64 {
            if a > b { a } else { b }
        }
        Capacity {
            cpu_milli: max(self.cpu_milli, other.cpu_milli),
            memory_mib: max(self.memory_mib, other.memory_mib),
            gpu_milli: max(self.gpu_milli, other.gpu_milli),
        }
    }

    /// How many whole nodes of capacity `node` a job asking `self` needs when it spans them
    /// (the largest ratio over the dimensions it asks for, at least one), or `None` when the
    /// node lacks a dimension it asks for.
    pub fn nodes_needed_on(&self, node: &Capacity) -> Option<u64> {
        let mut k = 0;
        for (d, t) in [
            (self.cpu_milli, node.cpu_milli),
            (self.memory_mib, node.memory_mib),
            (self.gpu_milli, node.gpu_milli),
        ] {
            if d > 0 {
                if t == 0 {
                    return None;
                }
                k = k.max(d.div_ceil(t));
            }
        }
        Some(k.max(1))
    }

    /// Whether every component is zero.
    pub const fn is_zero(&self) -> bool {
        self.cpu_milli == 0 && self.memory_mib == 0 && self.gpu_milli == 0
    }

    /// Component-wise `self + other`, or `None` if any component overflows.
    pub fn checked_add(&self, other: &Capacity) -> Option<Capacity> {
        Some(Capacity {
            cpu_milli: self.cpu_milli.checked_add(other.cpu_milli)?,
            memory_mib: self.memory_mib.checked_add(other.memory_mib)?,
            gpu_milli: self.gpu_milli.checked_add(other.gpu_milli)?,
        })
    }

    /// Component-wise `self - other`, or `None` if `other` does not fit in `self`.
    pub fn checked_sub(&self, other: &Capacity) -> Option<Capacity> {
        Some(Capacity {
            cpu_milli: self.cpu_milli.checked_sub(other.cpu_milli)?,
            memory_mib: self.memory_mib.checked_sub(other.memory_mib)?,
            gpu_milli: self.gpu_milli.checked_sub(other.gpu_milli)?,
        })
    }

    /// Component-wise `self - other`, each component floored at zero.
    pub const fn saturating_sub(&self, other: &Capacity) -> Capacity {
        Capacity {
            cpu_milli: self.cpu_milli.saturating_sub(other.cpu_milli),
            memory_mib: self.memory_mib.saturating_sub(other.memory_mib),
            gpu_milli: self.gpu_milli.saturating_sub(other.gpu_milli),
        }
    }

    /// Component-wise `self + other`, each component capped at `u64::MAX`.
    pub const fn saturating_add(&self, other: &Capacity) -> Capacity {
        Capacity {
            cpu_milli: self.cpu_milli.saturating_add(other.cpu_milli),
            memory_mib: self.memory_mib.saturating_add(other.memory_mib),
            gpu_milli: self.gpu_milli.saturating_add(other.gpu_milli),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::job::GpuKind;

    #[test]
    fn fits_is_component_wise() {
        let node = Capacity::new(4000, 16_384, 0);
        assert!(Capacity::new(4000, 16_384, 0).fits_in(&node));
        assert!(Capacity::ZERO.fits_in(&node));
        // More memory than the node has, though the CPU fits.
        assert!(!Capacity::new(1000, 16_385, 0).fits_in(&node));
        // Any GPU at all does not fit a CPU node.
        assert!(!Capacity::new(1, 1, 1).fits_in(&node));
    }

    #[test]
    fn checked_arithmetic() {
        let a = Capacity::new(3000, 100, 500);
        let b = Capacity::new(1000, 50, 500);
        assert_eq!(a.checked_sub(&b), Some(Capacity::new(2000, 50, 0)));
        assert_eq!(b.checked_sub(&a), None);
        assert_eq!(a.checked_add(&b), Some(Capacity::new(4000, 150, 1000)));
        assert_eq!(Capacity::new(u64::MAX, 0, 0).checked_add(&Capacity::new(1, 0, 0)), None);
        assert_eq!(b.saturating_sub(&a), Capacity::new(0, 0, 0));
    }

    #[test]
    fn constructors() {
        // 8 vCPUs, 32 GiB, 1 GPU: 8000 milli-CPUs, 32768 MiB, 1000 milli-GPUs.
        assert_eq!(Capacity::for_instance(8, 32_768, 1), Some(Capacity::new(8000, 32_768, 1000)));
        assert_eq!(Capacity::for_instance(u64::MAX, 0, 0), None);
        let r = Resources {
            cpu_milli: 500,
            memory_mib: 2048,
            gpu_milli: 460,
            gpu_kind: Some(GpuKind("T4".into())),
        };
        assert_eq!(Capacity::from_resources(&r), Capacity::new(500, 2048, 460));
    }
}
