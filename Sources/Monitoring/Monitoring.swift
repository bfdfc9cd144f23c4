// Prometheus exposition: see Metrics/.
