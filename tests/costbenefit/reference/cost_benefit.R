# Reference values for kaizen_eval's cost-benefit metrics, computed independently in base R.
# Run from this folder:  Rscript cost_benefit.R   (writes cost_benefit_reference.csv)
# Conventions (API.md): cost at t = 0; gain of year t at its end, discounted by (1 + r)^t;
# year t earns gain * (1 - decay)^(t - 1) * survival^t (no delay).
# IRR: real positive root x of -cost + sum_t g_t x^t (x = 1/(1+irr)) from polyroot().
scenarios <- data.frame(
  gain     = c(13890, 4181, 4038, 4181, 2500, 1000, 740),
  cost     = c(740,   2905, 2043, 2905, 6000, 2500, 13890),
  years    = c(1,     3,    5,    10,   8,    4,    6),
  rate     = c(0,     0.05, 0.10, 0.03, 0.07, 0,    0.05),
  decay    = c(0,     0,    0.2,  0.15, 0.1,  0.3,  0),
  survival = c(1,     1,    0.9,  0.95, 1,    1,    0.97)
)
one <- function(s) {
  t <- seq_len(s$years)
  g <- s$gain * (1 - s$decay)^(t - 1) * s$survival^t
  pv_t <- cumsum(g / (1 + s$rate)^t)
  pv <- pv_t[length(pv_t)]
  roots <- polyroot(c(-s$cost, g))
  x <- Re(roots[abs(Im(roots)) < 1e-9 & Re(roots) > 0])
  irr <- if (length(x) == 1) 1 / x - 1 else NA_real_
  k <- which(pv_t >= s$cost)[1]
  payback <- if (is.na(k)) NA_real_ else {
    prev <- if (k == 1) 0 else pv_t[k - 1]
    (k - 1) + (s$cost - prev) / (pv_t[k] - prev)
  }
  annuity <- sum((1 - s$decay)^(t - 1) * s$survival^t / (1 + s$rate)^t)
  c(pv = pv, npv = pv - s$cost, bcr = pv / s$cost, irr = irr, payback = payback,
    breakeven_gain = s$cost / annuity)
}
res <- t(sapply(seq_len(nrow(scenarios)), function(i) one(scenarios[i, ])))
out <- cbind(scenarios, res)
write.csv(format(out, digits = 17), "cost_benefit_reference.csv", row.names = FALSE, quote = FALSE)
