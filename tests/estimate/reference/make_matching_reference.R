# Reference values for ke.match_att and ke.event_study (tests/estimate/test_matching.py,
# tests/estimate/test_event_study.py). Run once from this folder:
#   Rscript make_matching_reference.R
# Writes matching_sim.csv, matching_lalonde.csv, matching_reference.csv,
# event_panel.csv and event_reference.csv.
suppressMessages({library(Matching); library(estimatr)})
set.seed(20261202)
n <- 300
x1 <- rnorm(n); x2 <- rnorm(n); x3 <- runif(n); x4 <- rbinom(n, 1, 0.4)
d <- rbinom(n, 1, plogis(-0.4 + 0.6 * x1 - 0.5 * x2 + 0.3 * x4))
y <- 1 + x1 + 0.5 * x2^2 + 2 * x3 + 0.5 * x4 + d * (1 + 0.5 * x1) + rnorm(n)
sim <- data.frame(y, d, x1, x2, x3, x4)
write.csv(sim, "matching_sim.csv", row.names = FALSE)
data(lalonde)
write.csv(lalonde, "matching_lalonde.csv", row.names = FALSE)
lx <- c("age", "educ", "black", "hisp", "married", "nodegr", "re74", "re75")
sx <- c("x1", "x2", "x3", "x4")
ps <- glm(treat ~ age + educ + black + hisp + married + nodegr + re74 + re75,
          family = binomial, data = lalonde)$fitted.values
f <- function(v) sprintf("%.17g", v)
rows <- list()
add <- function(case, m) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, est = f(m$est), se = f(m$se),
    est_noadj = f(m$est.noadj), wnobs = f(m$wnobs), ndrops = m$ndrops.matches)
}
S <- as.matrix(sim[, sx]); L <- as.matrix(lalonde[, lx])
add("sim_att_m1_w1", Match(Y = sim$y, Tr = sim$d, X = S, M = 1, Weight = 1, Var.calc = 1))
add("sim_att_m3_w2", Match(Y = sim$y, Tr = sim$d, X = S, M = 3, Weight = 2, Var.calc = 3))
add("sim_ate_m1_w1_ba", Match(Y = sim$y, Tr = sim$d, X = S, M = 1, Weight = 1, Var.calc = 1,
                              estimand = "ATE", BiasAdjust = TRUE))
add("sim_att_m2_w2_ba", Match(Y = sim$y, Tr = sim$d, X = S, M = 2, Weight = 2, Var.calc = 2,
                              BiasAdjust = TRUE))
add("sim_atc_m1_w1", Match(Y = sim$y, Tr = sim$d, X = S, M = 1, Weight = 1, Var.calc = 1,
                           estimand = "ATC"))
add("sim_att_caliper", Match(Y = sim$y, Tr = sim$d, X = S, M = 1, Weight = 1, Var.calc = 1,
                             caliper = 0.1))
# a wider caliper: the nearest match may lie outside it (the candidates are those within it),
# M = 2 needs two candidates, and sigma^2 uses the same-arm units within the caliper
add("sim_att_caliper_m2", Match(Y = sim$y, Tr = sim$d, X = S, M = 2, Weight = 1, Var.calc = 2,
                                caliper = 0.5))
add("sim_ate_caliper_j3", Match(Y = sim$y, Tr = sim$d, X = S, M = 1, Weight = 1, Var.calc = 3,
                                estimand = "ATE", caliper = 0.5))
add("lalonde_att_m1_w1", Match(Y = lalonde$re78, Tr = lalonde$treat, X = L, M = 1, Weight = 1,
                               Var.calc = 1))
add("lalonde_ate_m2_w2_ba", Match(Y = lalonde$re78, Tr = lalonde$treat, X = L, M = 2,
                                  Weight = 2, Var.calc = 2, estimand = "ATE", BiasAdjust = TRUE))
add("lalonde_att_m4_w1_ba", Match(Y = lalonde$re78, Tr = lalonde$treat, X = L, M = 4,
                                  Weight = 1, Var.calc = 4, BiasAdjust = TRUE))
add("lalonde_ps_att_m1", Match(Y = lalonde$re78, Tr = lalonde$treat, X = ps, M = 1,
                               Var.calc = 1))
# one matching variable: sigma^2 near-ties within distance.tolerance (1e-5) are common there
add("lalonde_ps_ate_m2", Match(Y = lalonde$re78, Tr = lalonde$treat, X = ps, M = 2,
                               Var.calc = 2, estimand = "ATE"))
add("lalonde_ps_atc_m3", Match(Y = lalonde$re78, Tr = lalonde$treat, X = ps, M = 3,
                               Var.calc = 3, estimand = "ATC"))
add("sim_att_x3_m1", Match(Y = sim$y, Tr = sim$d, X = sim$x3, M = 1, Var.calc = 1))
# exact matching without a caliper: Match applies `exact` through its caliper code (the other
# columns get a caliper wider than any difference), so sigma^2 comes from the same-arm units of
# the same exact cell and a focal unit with fewer than M candidates in its cell is lost
g3 <- findInterval(sim$x3, c(1 / 3, 2 / 3))  # 3 levels; ke: (x3 >= 1/3) + (x3 >= 2/3)
# a binary "sector" unrelated to the covariates, so the exact restriction binds (on x4 it did
# not: the nearest matches already shared x4); ke: np.arange(300) % 2
sector <- (seq_len(n) - 1) %% 2
add("sim_att_exact_sector_m1", Match(Y = sim$y, Tr = sim$d, X = cbind(S, sector), M = 1,
                                     Weight = 1, Var.calc = 1,
                                     exact = c(FALSE, FALSE, FALSE, FALSE, TRUE)))
add("sim_ate_exact_g3_m2", Match(Y = sim$y, Tr = sim$d, X = cbind(sim$x1, sim$x2, sim$x4, g3),
                                 M = 2, Weight = 1, Var.calc = 2, estimand = "ATE",
                                 exact = c(FALSE, FALSE, FALSE, TRUE)))
# 50 small cells of 6 firms: some treated firms have fewer than M = 2 controls in their cell
# and are lost, and some sigma^2 have fewer than Var.calc = 2 same-arm units (0); ke: % 50
cell <- (seq_len(n) - 1) %% 50
add("sim_att_exact_cell50_m2", Match(Y = sim$y, Tr = sim$d, X = cbind(S, cell), M = 2,
                                     Weight = 1, Var.calc = 2,
                                     exact = c(FALSE, FALSE, FALSE, FALSE, TRUE)))
write.csv(do.call(rbind, rows), "matching_reference.csv", row.names = FALSE, quote = FALSE)

# event study: 80 firms, 6 waves, staggered adoption at wave 4 or 5, 30 never treated
set.seed(7)
firms <- 80; waves <- 6
start <- c(rep(4, 25), rep(5, 25), rep(NA, 30))
panel <- expand.grid(wave = 1:waves, firm = 1:firms)
panel$start <- start[panel$firm]
panel$treated <- as.integer(!is.na(panel$start) & panel$wave >= panel$start)
panel$y <- rnorm(firms)[panel$firm] + 0.3 * panel$wave + 0.8 * panel$treated + rnorm(nrow(panel))
panel$region <- (panel$firm - 1) %/% 4  # 20 clusters of 4 firms
write.csv(panel[, c("firm", "wave", "treated", "y", "region")], "event_panel.csv",
          row.names = FALSE)
rel <- ifelse(is.na(panel$start), NA, panel$wave - panel$start)
leads <- sort(unique(rel[!is.na(rel)]))
leads <- setdiff(leads, -1)
nm <- character(0)
for (k in leads) {
  v <- paste0("e", ifelse(k < 0, paste0("m", -k), k))
  panel[[v]] <- as.integer(!is.na(rel) & rel == k); nm <- c(nm, v)
}
out <- list()
for (spec in list(list("firm", "CR1", "stata"), list("firm", "CR2", "CR2"),
                  list("region", "CR1", "stata"))) {
  fml <- as.formula(paste("y ~", paste(nm, collapse = " + "), "+ factor(firm) + factor(wave)"))
  fit <- lm_robust(fml, data = panel, clusters = panel[[spec[[1]]]], se_type = spec[[3]])
  b <- coef(fit)[nm]; V <- vcov(fit)[nm, nm]; se <- sqrt(diag(V))
  pre <- nm[grepl("^em", nm)]
  W <- as.numeric(t(b[pre]) %*% solve(V[pre, pre]) %*% b[pre]) / length(pre)
  G <- length(unique(panel[[spec[[1]]]]))
  out[[length(out) + 1]] <- data.frame(cluster = spec[[1]], se_type = spec[[2]], term = nm,
    estimate = f(b), std_error = f(se), df = f(fit$df[nm]),
    pretrend_F = f(W), pretrend_p = f(pf(W, length(pre), G - 1, lower.tail = FALSE)))
}
write.csv(do.call(rbind, out), "event_reference.csv", row.names = FALSE, quote = FALSE)
