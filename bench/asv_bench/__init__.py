"""asv benchmarks of fastgs (see bench/README.md and asv.conf.json)."""
