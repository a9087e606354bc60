# Reference numbers for kaizen_eval.design.power (tests/design/test_power.py).
# Run from this directory: Rscript power.R  (writes power.json)
#
# 1. t: R's power.t.test (stats package), two-sample t test with pooled sd, exact noncentral t,
#    strict = TRUE (both rejection tails, as Stata's `power twomeans` default) ; df = 2(n - 1).
# 2. normal: the closed form of Duflo, Glennerster & Kremer (2007, eq. 6 and 11),
#    MDE = (z_{1-alpha/2} + z_power) * sd * sqrt((1 - R2)(1 + (m - 1) icc) / (N P (1 - P))) / c.
library(jsonlite)

t_cases <- expand.grid(n_per_group = c(10, 50, 200), sd = c(1, 2.5), power = c(0.8, 0.9),
                       alpha = c(0.05, 0.1), alternative = c("two.sided", "one.sided"),
                       stringsAsFactors = FALSE)
t_cases$mde <- mapply(function(n, sd, pw, a, alt) {
  power.t.test(n = n, sd = sd, power = pw, sig.level = a, type = "two.sample",
               alternative = alt, strict = TRUE, tol = 1e-12)$delta
}, t_cases$n_per_group, t_cases$sd, t_cases$power, t_cases$alpha, t_cases$alternative)

n_cases <- data.frame(delta = c(0.2, 0.5, 1.0), sd = c(1, 1, 2), power = c(0.8, 0.9, 0.8))
n_cases$n_per_group <- mapply(function(d, sd, pw) {
  power.t.test(delta = d, sd = sd, power = pw, sig.level = 0.05, strict = TRUE, tol = 1e-12)$n
}, n_cases$delta, n_cases$sd, n_cases$power)

z_cases <- expand.grid(n = c(200, 1000), p_treat = c(0.5, 0.3), compliance = c(1, 0.6),
                       r2 = c(0, 0.4), icc = c(0, 0.05), cluster_size = c(1, 10),
                       alpha = c(0.05), power = c(0.8), sd = c(1, 3000))
z_cases <- rbind(z_cases, data.frame(n = 500, p_treat = 0.5, compliance = 1, r2 = 0, icc = 0,
                                     cluster_size = 1, alpha = 0.1, power = 0.9, sd = 1))
z_cases$mde <- with(z_cases, (qnorm(1 - alpha / 2) + qnorm(power)) * sd *
  sqrt((1 - r2) * (1 + (cluster_size - 1) * icc) / (n * p_treat * (1 - p_treat))) / compliance)

out <- list(
  generated_by = "tests/design/reference/power.R",
  r_version = R.version.string,
  t_mde = t_cases,
  t_sample_size = n_cases,
  normal_mde = z_cases
)
writeLines(toJSON(out, digits = NA, pretty = TRUE, auto_unbox = TRUE), "power.json")
