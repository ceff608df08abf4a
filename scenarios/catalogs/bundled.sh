#!/bin/sh
# Regenerates scenarios/catalogs/bundled.toml from the real price files in ../shared/data/prices
# with `shardcast catalog import` (one provider each, filtered to 3 regions and 5 types) and
# `shardcast catalog merge`. Run it from the repository root:
#
#   sh scenarios/catalogs/bundled.sh
#
# Environment (all optional):
#   SHARDCAST  the shardcast command (default: cargo run --quiet -p sim --bin shardcast --)
#   PRICES     the folder of price files (default: ../shared/data/prices)
#   OUT        the catalog to write (default: scenarios/catalogs/bundled.toml)
#
# The same inputs give a byte-identical file (tests/catalog.rs checks this). The commands below
# are also written, with the default paths, into the header of bundled.toml; keep both in step.
set -eu

SHARDCAST=${SHARDCAST:-"cargo run --quiet -p sim --bin shardcast --"}
PRICES=${PRICES:-../shared/data/prices}
OUT=${OUT:-scenarios/catalogs/bundled.toml}
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT

# AWS: m6i 4/16/64 vCPU, r6i.16xlarge (64 vCPU, 512 GiB), p3.2xlarge/p3.8xlarge (1/4 x V100),
# p4d.24xlarge (8 x A100), g4dn.xlarge/g4dn.12xlarge (1/4 x T4); Spot Advisor bands; the
# 2017 reserved-instance ratios (p3.2xlarge is in the 2017 file; m6i and g4dn get the terms'
# generic fraction_off).
$SHARDCAST catalog import --format aws-ec2instances \
  "$PRICES/ec2instances_aws_ondemand_spot_2024-04-04.json" \
  --spot-advisor "$PRICES/aws_spot_advisor_2025-06-28.json" \
  --reserved "$PRICES/ec2instances_aws_reserved_2017-11-12.json" \
  --regions us-east-1,us-west-2,eu-west-1 \
  --types m6i.xlarge,m6i.4xlarge,m6i.16xlarge,r6i.16xlarge,p3.2xlarge,p3.8xlarge,p4d.24xlarge,g4dn.xlarge,g4dn.12xlarge \
  -o "$WORK/aws.json"

# Azure: Dsv5 4/16/64 vCPU, E64s_v5 (64 vCPU, 512 GiB), NC24ads_A100_v4 (1 x A100 80 GB),
# ND96asr_v4 (8 x A100), ND40rs_v2 (8 x V100 32 GB), NC4as_T4_v3/NC64as_T4_v3 (1/4 x T4).
$SHARDCAST catalog import --format azure-skypilot \
  "$PRICES/skypilot_azure_vms_2026-05-20.csv" \
  --regions eastus,westus2,westeurope \
  --types Standard_D4s_v5,Standard_D16s_v5,Standard_D64s_v5,Standard_E64s_v5,Standard_NC24ads_A100_v4,Standard_ND96asr_v4,Standard_ND40rs_v2,Standard_NC4as_T4_v3,Standard_NC64as_T4_v3 \
  -o "$WORK/azure.json"

# GCP: n2-standard 4/16/64 vCPU, n2-highmem-64 (64 vCPU, 512 GiB), a2-highgpu-1g/8g (1/8 x
# A100 40 GB), g2-standard-4/48 (1/4 x L4).
$SHARDCAST catalog import --format gcp-skypilot \
  "$PRICES/skypilot_gcp_vms_2026-05-20.csv" \
  --regions us-east1,us-central1,europe-west4 \
  --types n2-standard-4,n2-standard-16,n2-standard-64,n2-highmem-64,a2-highgpu-1g,a2-highgpu-8g,g2-standard-4,g2-standard-48 \
  -o "$WORK/gcp.json"

cat > "$WORK/header.txt" <<'EOF'
# shardcast's bundled price catalog: AWS, Azure and GCP, 3 regions each (US east, US west or
# central, Europe), 3 general-purpose CPU types (4, 16, 64 vCPUs), a 64-vCPU memory-optimised
# type (8 GiB per vCPU) and single- and multi-GPU NVIDIA types (1, 4 and 8 GPUs).
# Scenarios load it as `catalog = "catalogs/bundled.toml"`.
#
# GENERATED: do not edit by hand. Prices as of: AWS 2024-04-04 (ec2instances.info; Spot
# Advisor bands 2025-06-28; reserved-instance ratios from 2017-11-12 prices), Azure and GCP
# 2026-05-20 (SkyPilot catalogs). meta.prices_date is the earliest of these. Sources, per
# number, are in [meta] below; provider terms come from scenarios/catalogs/terms/*.toml and
# region locations from scenarios/catalogs/regions.toml.
#
# Regenerate (from the repository root; `sh scenarios/catalogs/bundled.sh` runs exactly this):
#   shardcast catalog import --format aws-ec2instances \
#     ../shared/data/prices/ec2instances_aws_ondemand_spot_2024-04-04.json \
#     --spot-advisor ../shared/data/prices/aws_spot_advisor_2025-06-28.json \
#     --reserved ../shared/data/prices/ec2instances_aws_reserved_2017-11-12.json \
#     --regions us-east-1,us-west-2,eu-west-1 \
#     --types m6i.xlarge,m6i.4xlarge,m6i.16xlarge,r6i.16xlarge,p3.2xlarge,p3.8xlarge,p4d.24xlarge,g4dn.xlarge,g4dn.12xlarge -o aws.json
#   shardcast catalog import --format azure-skypilot \
#     ../shared/data/prices/skypilot_azure_vms_2026-05-20.csv \
#     --regions eastus,westus2,westeurope \
#     --types Standard_D4s_v5,Standard_D16s_v5,Standard_D64s_v5,Standard_E64s_v5,Standard_NC24ads_A100_v4,Standard_ND96asr_v4,Standard_ND40rs_v2,Standard_NC4as_T4_v3,Standard_NC64as_T4_v3 \
#     -o azure.json
#   shardcast catalog import --format gcp-skypilot \
#     ../shared/data/prices/skypilot_gcp_vms_2026-05-20.csv \
#     --regions us-east1,us-central1,europe-west4 \
#     --types n2-standard-4,n2-standard-16,n2-standard-64,n2-highmem-64,a2-highgpu-1g,a2-highgpu-8g,g2-standard-4,g2-standard-48 -o gcp.json
#   shardcast catalog merge aws.json azure.json gcp.json --name bundled \
#     --note "regenerate with: sh scenarios/catalogs/bundled.sh (see scenarios/catalogs/README.md)" \
#     --header header.txt -o scenarios/catalogs/bundled.toml
# where header.txt is this comment block.
EOF

$SHARDCAST catalog merge "$WORK/aws.json" "$WORK/azure.json" "$WORK/gcp.json" --name bundled \
  --note "regenerate with: sh scenarios/catalogs/bundled.sh (see scenarios/catalogs/README.md)" \
  --header "$WORK/header.txt" -o "$OUT"
