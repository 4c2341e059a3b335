"""Customer-value maths in plain NumPy/SciPy (no Django): BG/NBD, Gamma-Gamma,
predictive CLV and the descriptive value formulas.  See docs/analytics.md."""
