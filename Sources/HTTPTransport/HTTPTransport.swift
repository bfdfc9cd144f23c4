// The shared HTTP client transport; filled in by the Prometheus gate work (issue 14).
