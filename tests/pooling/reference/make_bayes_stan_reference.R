# MCMC reference for ke.pool_sites(method = "bayes"), the exact grid posterior of the
# normal-normal hierarchical model (src/kaizen_eval/estimate/pooling_bayes.py), computed with
# an independent sampler: R rstan (Debian r-cran-rstan 2.21.7, Stan 2.21.0), NUTS.
#
# Run from the repository root:  Rscript tests/pooling/reference/make_bayes_stan_reference.R
# (about a minute to compile the model, then some seconds per data set). Reads the site data
# from pool_data.csv (written by metafor_pool.R) and writes, next to this script:
#   stan_bayes_reference.csv   one row per (dataset, quantity, statistic):
#       dataset     eight_schools (Rubin's SAT coaching, BDA3 Table 5.2) or bcg (metafor's
#                   dat.bcg, 13 trials, log risk ratios)
#       quantity    mu, tau, theta_new, theta[<site>]  (the row names of ke's .posterior)
#       statistic   mean, sd, q2.5, q50, q97.5
#       value       the MCMC estimate over all kept draws
#       mcse        its Monte Carlo standard error (Vehtari et al. 2021, as rstan::monitor:
#                   mcse_mean, mcse_sd, mcse_quantile; the latter from the ESS of the
#                   indicator I(x <= q), i.e. an n_eff-based SE of the quantile)
#       ess         the matching effective sample size (ess_mean for mean, ess_sd for sd,
#                   ess_quantile for a quantile)
#       rhat        split-R-hat of the quantity (rank-normalized, rstan::Rhat)
#   stan_bayes_run.csv         key,value: versions, seeds, chains, iterations, divergences
#
# Model: y_j ~ N(theta_j, s_j^2), theta_j ~ N(mu, tau^2), mu flat, tau flat on (0, inf) (the
# default of ke.pool_sites(method = "bayes"), BDA3 section 5.4), non-centred: theta_j = mu +
# tau * eta_j, eta_j ~ N(0, 1). No prior statement for mu and tau: Stan's improper flat priors.
# A 4-site data set is not used: under the uniform prior the posterior variance of mu and tau
# is infinite with J <= 4 sites, so MCMC means and their MC SEs would not be reliable.
suppressPackageStartupMessages(library(rstan))

# Debian's r-cran-bh is a virtual package (Boost comes from libboost-dev in /usr/include), so
# rstan's system.file("include", package = "BH") finds nothing: shadow it, for this session
# only, with a copy of its metadata whose include/boost points at the system headers.
if (!nzchar(system.file("include", package = "BH")) && dir.exists("/usr/include/boost")) {
  lib <- file.path(tempdir(), "Rlib")
  dir.create(lib, showWarnings = FALSE)
  file.copy(find.package("BH"), lib, recursive = TRUE)
  dir.create(file.path(lib, "BH", "include"), showWarnings = FALSE)
  file.symlink("/usr/include/boost", file.path(lib, "BH", "include", "boost"))
  .libPaths(c(lib, .libPaths()))
}

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))

CHAINS <- 4L
WARMUP <- 2000L
ITER <- 52000L # per chain, warm-up included: 4 x 50,000 = 200,000 kept draws
SEEDS <- c(eight_schools = 20261203L, bcg = 20261204L)
ADAPT_DELTA <- 0.99

code <- "
data {
  int<lower=1> J;
  vector[J] y;
  vector<lower=0>[J] s;
}
parameters {
  real mu;
  real<lower=0> tau;
  vector[J] eta;
}
transformed parameters {
  vector[J] theta = mu + tau * eta;
}
model {
  eta ~ std_normal();
  y ~ normal(theta, s);
}
generated quantities {
  real theta_new = normal_rng(mu, tau);
}
"
model <- stan_model(model_code = code, model_name = "normal_normal_nc")

data <- read.csv(file.path(here, "pool_data.csv"), strip.white = TRUE,
                 stringsAsFactors = FALSE)

rows <- list()
run <- list(
  c("rstan_version", as.character(packageVersion("rstan"))),
  c("stan_version", stan_version()),
  c("r_version", paste(R.version$major, R.version$minor, sep = ".")),
  c("algorithm", paste("NUTS diag_e; adapt_delta", ADAPT_DELTA)),
  c("chains", CHAINS), c("iter_per_chain", ITER), c("warmup_per_chain", WARMUP),
  c("kept_draws", CHAINS * (ITER - WARMUP))
)
for (ds in names(SEEDS)) {
  d <- data[data$dataset == ds, ]
  fit <- sampling(model, data = list(J = nrow(d), y = d$yi, s = sqrt(d$vi)),
                  chains = CHAINS, iter = ITER, warmup = WARMUP, seed = SEEDS[[ds]],
                  cores = 1, refresh = 0, control = list(adapt_delta = ADAPT_DELTA))
  arr <- as.array(fit) # iterations x chains x parameters
  names_stan <- c("mu", "tau", "theta_new", paste0("theta[", seq_len(nrow(d)), "]"))
  names_ke <- c("mu", "tau", "theta_new", paste0("theta[", d$site, "]"))
  for (i in seq_along(names_stan)) {
    sims <- arr[, , names_stan[i]]
    x <- as.vector(sims)
    rh <- rstan::Rhat(sims)
    add <- function(stat, value, mcse, ess) {
      rows[[length(rows) + 1]] <<- data.frame(
        dataset = ds, quantity = names_ke[i], statistic = stat,
        value = format(value, digits = 17), mcse = format(mcse, digits = 6),
        ess = format(round(ess), scientific = FALSE), rhat = format(rh, digits = 6)
      )
    }
    add("mean", mean(x), rstan:::mcse_mean(sims), rstan:::ess_mean(sims))
    add("sd", sd(x), rstan:::mcse_sd(sims), rstan:::ess_sd(sims))
    for (p in c(0.025, 0.5, 0.975)) {
      add(paste0("q", 100 * p), quantile(x, p, names = FALSE),
          rstan:::mcse_quantile(sims, p), rstan:::ess_quantile(sims, p))
    }
  }
  sp <- get_sampler_params(fit, inc_warmup = FALSE)
  run[[length(run) + 1]] <- c(paste0(ds, ":seed"), SEEDS[[ds]])
  run[[length(run) + 1]] <- c(paste0(ds, ":divergences"),
                              sum(sapply(sp, function(m) sum(m[, "divergent__"]))))
  run[[length(run) + 1]] <- c(paste0(ds, ":max_treedepth_hits"),
                              sum(sapply(sp, function(m) sum(m[, "treedepth__"] >= 10))))
  run[[length(run) + 1]] <- c(paste0(ds, ":seconds"),
                              format(sum(get_elapsed_time(fit)), digits = 4))
}
out <- do.call(rbind, rows)
write.csv(out, file.path(here, "stan_bayes_reference.csv"), row.names = FALSE, quote = FALSE)
run <- as.data.frame(do.call(rbind, run))
names(run) <- c("key", "value")
write.csv(run, file.path(here, "stan_bayes_run.csv"), row.names = FALSE, quote = FALSE)
