# CR2 reference values for the edge cases of the low-rank CR2 (kaizen_eval._core.cr2).
#
# Run from the repository root:  Rscript tests/estimate/reference/make_cr2_reference.R
# Writes (next to this script):
#   cr2_edge.csv        simulated data (fixed seed, rounded to 6 decimals)
#   cr2_reference.csv   one row per (case, term): estimate, std_error, df, pvalue (17 digits)
# Cases (clusters `cl`: 40 firms alone in their cluster, the others by village):
#   singletons       clusters of size 1 mixed with villages of 1 to 30 firms
#   nested           fixed effects `block` nested in clusters (two blocks inside each village,
#                    so I - H_gg is singular: the pseudo-inverse)
#   weighted         regression weights `w`
#   iv_*             2SLS (attended instrumented by invited), with the same features
# Packages: estimatr (lm_robust, iv_robust), clubSandwich (coef_test with Satterthwaite df and
# Wald_test with the HTZ approximation on lm fits with explicit dummies).
suppressPackageStartupMessages({
  library(estimatr)
  library(clubSandwich)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
r6 <- function(x) round(x, 6)

set.seed(20261202)
n <- 240
n_village <- 16
sizes <- as.vector(rmultinom(1, n - 40 - n_village, prob = rexp(n_village)^1.5)) + 1
village <- rep(seq_len(n_village), sizes)
cl <- c(paste0("s", 1:40), paste0("v", village))          # 40 singletons, then villages
vill_all <- c(rep(NA, 40), village)
block <- ifelse(is.na(vill_all), paste0("b", 1:40 %% 4),     # singletons share 4 blocks
                paste0("v", vill_all, "_", seq_len(n) %% 2)) # two blocks inside each village
invited <- rbinom(n, 1, 0.5)
age <- r6(rnorm(n, 12, 4))
attended <- invited * rbinom(n, 1, 0.7)
u_c <- rnorm(length(unique(cl)), 0, 0.8)[match(cl, unique(cl))]
y <- r6(1 + 2 * attended + 0.15 * age + u_c + rnorm(n) * (1 + 0.5 * attended))
dat <- data.frame(firm_id = sprintf("F%03d", seq_len(n)), cl = cl, block = block,
                  invited = invited, attended = attended, age = age, y = y,
                  w = r6(runif(n, 0.5, 2)))
write.csv(dat, file.path(here, "cr2_edge.csv"), row.names = FALSE)
dat <- read.csv(file.path(here, "cr2_edge.csv"))

rows <- list()
add <- function(case, term, estimate, std_error, df, pvalue) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, term = term, estimate = estimate,
                                          std_error = std_error, df = df, pvalue = pvalue)
}
add_estimatr <- function(case, fit, terms) {
  for (t in terms) add(case, t, fit$coefficients[[t]], fit$std.error[[t]], fit$df[[t]],
                       fit$p.value[[t]])
}
add_club <- function(case, m, terms, weights = NULL) {
  ct <- as.data.frame(coef_test(m, vcov = "CR2", cluster = dat$cl, test = "Satterthwaite"))
  for (t in terms) {
    i <- which(ct$Coef == t)
    add(case, t, ct$beta[i], ct$SE[i], ct$df_Satt[i], ct$p_Satt[i])
  }
  w <- Wald_test(m, constraints = constrain_zero(terms), vcov = "CR2", cluster = dat$cl,
                 test = "HTZ")
  add(case, "HTZ_F", w$Fstat, NA, w$df_denom, w$p_val)
}
terms <- c("invited", "age")

# ---- OLS ----------------------------------------------------------------------------------
add_estimatr("singletons:estimatr",
             lm_robust(y ~ invited + age, data = dat, clusters = cl, se_type = "CR2"), terms)
add_club("singletons:club", lm(y ~ invited + age, data = dat), terms)
add_estimatr("nested:estimatr",
             lm_robust(y ~ invited + age, data = dat, fixed_effects = ~block, clusters = cl,
                       se_type = "CR2"), terms)
add_club("nested:club", lm(y ~ invited + age + factor(block), data = dat), terms)
add_estimatr("weighted:estimatr",
             lm_robust(y ~ invited + age, data = dat, weights = w, clusters = cl,
                       se_type = "CR2"), terms)
add_club("weighted:club", lm(y ~ invited + age, data = dat, weights = w), terms)

# ---- 2SLS ---------------------------------------------------------------------------------
iv_terms <- c("attended", "age")
add_estimatr("iv_singletons:estimatr",
             iv_robust(y ~ attended + age | invited + age, data = dat, clusters = cl,
                       se_type = "CR2"), iv_terms)
add_estimatr("iv_nested:estimatr",
             iv_robust(y ~ attended + age | invited + age, data = dat, fixed_effects = ~block,
                       clusters = cl, se_type = "CR2"), iv_terms)
add_estimatr("iv_weighted:estimatr",
             iv_robust(y ~ attended + age | invited + age, data = dat, weights = w,
                       clusters = cl, se_type = "CR2"), iv_terms)

out <- do.call(rbind, rows)
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
for (col in c("estimate", "std_error", "df", "pvalue")) out[[col]] <- fmt(out[[col]])
write.csv(out, file.path(here, "cr2_reference.csv"), row.names = FALSE, quote = TRUE)
cat("wrote", nrow(out), "reference rows\n")
