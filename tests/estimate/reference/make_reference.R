# Reference values for kaizen_eval.estimate, from independent R implementations.
#
# Run from the repository root:  Rscript tests/estimate/reference/make_reference.R
# Writes (next to this script):
#   firms.csv, panel.csv, small.csv   simulated data (fixed seed, rounded to 6 decimals so that
#                                     the CSV holds exactly the numbers R fitted)
#   reference.csv                     one row per (case, term): estimate, std_error, df, pvalue,
#                                     written with 17 significant digits
# Packages: estimatr (lm_robust, iv_robust, lm_lin), AER (ivreg), sandwich (vcovHC, vcovCL),
# clubSandwich (coef_test with Satterthwaite df for CR2).
suppressPackageStartupMessages({
  library(estimatr)
  library(AER)
  library(sandwich)
  library(clubSandwich)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
r6 <- function(x) round(x, 6)

# ---- data -------------------------------------------------------------------------------
set.seed(20240611)
make_firms <- function(n, n_village, n_strata) {
  # unequal cluster sizes: village sizes drawn from a skewed distribution
  sizes <- as.vector(rmultinom(1, n - n_village, prob = rexp(n_village)^1.5)) + 1
  village <- rep(seq_len(n_village), sizes)
  stratum <- sample(letters[seq_len(n_strata)], n, replace = TRUE)
  invited <- integer(n)
  for (s in unique(stratum)) {  # complete randomization within strata
    idx <- which(stratum == s)
    invited[idx] <- sample(rep(0:1, length.out = length(idx)))
  }
  onsite <- rbinom(n, 1, 0.5)
  age <- r6(rnorm(n, 12, 4))
  educ <- r6(pmax(0, rnorm(n, 9, 3)))
  female <- rbinom(n, 1, 0.4)
  attended <- invited * rbinom(n, 1, plogis(-0.5 + 0.15 * educ))
  days <- attended * sample(1:15, n, replace = TRUE)
  onsite_received <- onsite * rbinom(n, 1, 0.8)
  u_v <- rnorm(n_village, 0, 0.8)[village]
  y0 <- r6(rnorm(n, 5, 2) + u_v)
  y <- r6(1 + 2 * attended + 0.1 * days + 0.7 * onsite_received + 0.15 * age + 0.2 * educ +
          0.6 * y0 + match(stratum, letters) * 0.5 + u_v + rnorm(n) * (1 + 0.5 * attended))
  data.frame(firm_id = sprintf("F%04d", seq_len(n)), village = village, stratum = stratum,
             invited = invited, attended = attended, days = days, onsite = onsite,
             onsite_received = onsite_received, age = age, educ = educ, female = female,
             y0 = y0, y = y, w = r6(runif(n, 0.5, 2)))
}
firms <- make_firms(300, 25, 5)
small <- make_firms(60, 8, 3)

# panel: 150 firms x 2 follow-up waves, stratum and wave fixed effects, clustered by firm
pf <- make_firms(150, 20, 4)
panel <- rbind(transform(pf, wave = "w1"), transform(pf, wave = "w2"))
panel$y <- r6(panel$y + ifelse(panel$wave == "w2", 0.8, 0) + rnorm(nrow(panel)))
panel$y[c(3, 40, 151, 299)] <- NA  # attrition; every function must drop these rows

write.csv(firms, file.path(here, "firms.csv"), row.names = FALSE)
write.csv(small, file.path(here, "small.csv"), row.names = FALSE)
write.csv(panel, file.path(here, "panel.csv"), row.names = FALSE)
# re-read so that R fits exactly what Python will read
firms <- read.csv(file.path(here, "firms.csv"))
small <- read.csv(file.path(here, "small.csv"))
panel <- read.csv(file.path(here, "panel.csv"))
panel_cc <- panel[!is.na(panel$y), ]

# ---- collecting results -------------------------------------------------------------------
rows <- list()
add <- function(case, term, estimate, std_error, df, pvalue) {
  rows[[length(rows) + 1]] <<- data.frame(case = case, term = term, estimate = estimate,
                                          std_error = std_error, df = df, pvalue = pvalue)
}
add_estimatr <- function(case, fit, terms) {
  for (t in terms) add(case, t, fit$coefficients[[t]], fit$std.error[[t]], fit$df[[t]],
                       fit$p.value[[t]])
}
add_vcov <- function(case, b, V, df, terms) {
  for (t in terms) {
    se <- sqrt(V[t, t])
    add(case, t, b[[t]], se, df, 2 * pt(abs(b[[t]] / se), df, lower.tail = FALSE))
  }
}
add_club <- function(case, ct, terms) {
  ct <- as.data.frame(ct)
  for (t in terms) {
    i <- which(ct$Coef == t)
    add(case, t, ct$beta[i], ct$SE[i], ct$df_Satt[i], ct$p_Satt[i])
  }
}

# ---- OLS / ITT -------------------------------------------------------------------------------
for (d in c("firms", "small")) {
  dat <- get(d)
  for (se in c("classical", "HC0", "HC1", "HC2", "HC3")) {
    add_estimatr(paste(d, "itt_cov", se, sep = ":"),
                 lm_robust(y ~ invited + age + educ, data = dat, se_type = se),
                 c("invited", "age"))
    add_estimatr(paste(d, "itt_fe", se, sep = ":"),
                 lm_robust(y ~ invited + age, data = dat, fixed_effects = ~stratum, se_type = se),
                 c("invited", "age"))
  }
  for (se in c("CR0", "stata", "CR2")) {
    add_estimatr(paste(d, "itt_cov", se, sep = ":"),
                 lm_robust(y ~ invited + age + educ, data = dat, clusters = village, se_type = se),
                 c("invited", "age"))
    add_estimatr(paste(d, "itt_fe", se, sep = ":"),
                 lm_robust(y ~ invited + age, data = dat, fixed_effects = ~stratum,
                           clusters = village, se_type = se),
                 c("invited", "age"))
  }
  # clubSandwich: CR2 with Satterthwaite df, strata as explicit dummies
  m <- lm(y ~ invited + age + educ, data = dat)
  add_club(paste(d, "itt_cov", "club_CR2", sep = ":"),
           coef_test(m, vcov = "CR2", cluster = dat$village, test = "Satterthwaite"),
           c("invited", "age"))
  m <- lm(y ~ invited + age + factor(stratum), data = dat)
  add_club(paste(d, "itt_fe", "club_CR2", sep = ":"),
           coef_test(m, vcov = "CR2", cluster = dat$village, test = "Satterthwaite"),
           c("invited", "age"))
  # joint test of (invited, age) with the HTZ approximation
  for (model in c("itt_cov", "itt_fe")) {
    m <- if (model == "itt_cov") lm(y ~ invited + age + educ, data = dat) else
      lm(y ~ invited + age + factor(stratum), data = dat)
    w <- Wald_test(m, constraints = constrain_zero(c("invited", "age")), vcov = "CR2",
                   cluster = dat$village, test = "HTZ")
    add(paste(d, model, "club_HTZ", sep = ":"), "HTZ_F", w$Fstat, NA, w$df_denom, w$p_val)
  }
  # Lin (2013) and factorial arms with interaction
  add_estimatr(paste(d, "itt_lin", "HC2", sep = ":"),
               lm_lin(y ~ invited, covariates = ~ age + educ, data = dat, se_type = "HC2"),
               "invited")
  add_estimatr(paste(d, "itt_factorial", "HC1", sep = ":"),
               lm_robust(y ~ invited * onsite, data = dat, se_type = "HC1"),
               c("invited", "onsite", "invited:onsite"))
  for (se in c("HC1", "HC2", "HC3")) {
    add_estimatr(paste(d, "itt_weighted", se, sep = ":"),
                 lm_robust(y ~ invited + age, data = dat, weights = w, se_type = se),
                 c("invited", "age"))
  }
  for (se in c("stata", "CR2")) {
    add_estimatr(paste(d, "itt_weighted", se, sep = ":"),
                 lm_robust(y ~ invited + age, data = dat, weights = w, clusters = village,
                           se_type = se),
                 c("invited", "age"))
  }
  add_estimatr(paste(d, "itt_weighted_fe", "HC2", sep = ":"),
               lm_robust(y ~ invited + age, data = dat, weights = w, fixed_effects = ~stratum,
                         se_type = "HC2"),
               c("invited", "age"))
  m <- lm(y ~ invited + age, data = dat, weights = w)
  add_club(paste(d, "itt_weighted", "club_CR2", sep = ":"),
           coef_test(m, vcov = "CR2", cluster = dat$village, test = "Satterthwaite"),
           c("invited", "age"))
  # heterogeneity: one effect per gender, and the Wald test that they are equal
  het <- lm_robust(y ~ invited:factor(female) + factor(female), data = dat, clusters = village,
                   se_type = "stata")
  het_terms <- c("invited:factor(female)0", "invited:factor(female)1")
  add_estimatr(paste(d, "itt_by_female", "stata", sep = ":"), het, het_terms)
  diff <- het$coefficients[[het_terms[1]]] - het$coefficients[[het_terms[2]]]
  vd <- het$vcov[het_terms[1], het_terms[1]] + het$vcov[het_terms[2], het_terms[2]] -
    2 * het$vcov[het_terms[1], het_terms[2]]
  G <- length(unique(dat$village))
  add(paste(d, "itt_by_female", "stata", sep = ":"), "equality_F", diff^2 / vd, NA, G - 1,
      pf(diff^2 / vd, 1, G - 1, lower.tail = FALSE))
}

# panel: two fixed effects (stratum, wave), clustered by firm (strata nested in firms)
for (se in c("HC1", "HC2", "stata", "CR2")) {
  cl <- if (se %in% c("stata", "CR2")) panel_cc$firm_id else NULL
  fit <- if (is.null(cl)) {
    lm_robust(y ~ invited + age, data = panel_cc, fixed_effects = ~ stratum + wave, se_type = se)
  } else {
    lm_robust(y ~ invited + age, data = panel_cc, fixed_effects = ~ stratum + wave,
              clusters = firm_id, se_type = se)
  }
  add_estimatr(paste("panel", "itt_fe2", se, sep = ":"), fit, c("invited", "age"))
}
# per-wave effects with stratum and wave fixed effects
for (se in c("stata", "CR2")) {
  add_estimatr(paste("panel", "itt_by_wave", se, sep = ":"),
               lm_robust(y ~ invited:wave + age, data = panel_cc,
                         fixed_effects = ~ stratum + wave, clusters = firm_id, se_type = se),
               c("invited:wavew1", "invited:wavew2"))
}
m <- lm(y ~ invited + age + factor(stratum) + factor(wave), data = panel_cc)
add_club("panel:itt_fe2:club_CR2",
         coef_test(m, vcov = "CR2", cluster = panel_cc$firm_id, test = "Satterthwaite"),
         c("invited", "age"))
w <- Wald_test(m, constraints = constrain_zero(c("invited", "age")), vcov = "CR2",
               cluster = panel_cc$firm_id, test = "HTZ")
add("panel:itt_fe2:club_HTZ", "HTZ_F", w$Fstat, NA, w$df_denom, w$p_val)

# ---- 2SLS / LATE ------------------------------------------------------------------------------
for (d in c("firms", "small")) {
  dat <- get(d)
  for (se in c("classical", "HC0", "HC1", "HC2", "HC3")) {
    add_estimatr(paste(d, "late", se, sep = ":"),
                 iv_robust(y ~ attended + age | invited + age, data = dat, se_type = se),
                 c("attended", "age"))
    add_estimatr(paste(d, "late_fe", se, sep = ":"),
                 iv_robust(y ~ attended + age | invited + age, data = dat,
                           fixed_effects = ~stratum, se_type = se),
                 c("attended", "age"))
  }
  for (se in c("CR0", "stata", "CR2")) {
    add_estimatr(paste(d, "late", se, sep = ":"),
                 iv_robust(y ~ attended + age | invited + age, data = dat, clusters = village,
                           se_type = se),
                 c("attended", "age"))
    add_estimatr(paste(d, "late_fe", se, sep = ":"),
                 iv_robust(y ~ attended + age | invited + age, data = dat,
                           fixed_effects = ~stratum, clusters = village, se_type = se),
                 c("attended", "age"))
  }
  # AER::ivreg + sandwich, an implementation independent of estimatr
  iv <- ivreg(y ~ attended + age | invited + age, data = dat)
  n <- nrow(dat)
  for (type in c("HC0", "HC1", "HC2", "HC3")) {
    add_vcov(paste(d, "late", paste0("aer_", type), sep = ":"), coef(iv), vcovHC(iv, type = type),
             n - 3, c("attended", "age"))
  }
  add_vcov(paste(d, "late", "aer_CR1", sep = ":"), coef(iv),
           vcovCL(iv, cluster = ~village, type = "HC1"), length(unique(dat$village)) - 1,
           c("attended", "age"))
  # intensity of take-up and two endogenous treatments
  add_estimatr(paste(d, "late_weighted", "HC1", sep = ":"),
               iv_robust(y ~ attended + age | invited + age, data = dat, weights = w,
                         se_type = "HC1"),
               c("attended", "age"))
  add_estimatr(paste(d, "late_weighted", "CR2", sep = ":"),
               iv_robust(y ~ attended + age | invited + age, data = dat, weights = w,
                         clusters = village, se_type = "CR2"),
               c("attended", "age"))
  add_estimatr(paste(d, "late_days", "HC1", sep = ":"),
               iv_robust(y ~ days + age | invited + age, data = dat, se_type = "HC1"), "days")
  add_estimatr(paste(d, "late_two", "CR2", sep = ":"),
               iv_robust(y ~ attended + onsite_received | invited + onsite, data = dat,
                         clusters = village, se_type = "CR2"),
               c("attended", "onsite_received"))
  add_estimatr(paste(d, "late_two", "HC2", sep = ":"),
               iv_robust(y ~ attended + onsite_received | invited + onsite, data = dat,
                         se_type = "HC2"),
               c("attended", "onsite_received"))
  # first stage: robust Wald F of the excluded instrument (one instrument: t^2)
  fs <- lm_robust(attended ~ invited + age, data = dat, clusters = village, se_type = "stata")
  add(paste(d, "first_stage", "stata", sep = ":"), "F", (fs$coefficients[["invited"]] /
      fs$std.error[["invited"]])^2, NA, fs$df[["invited"]], NA)
}

out <- do.call(rbind, rows)
fmt <- function(x) ifelse(is.na(x), "NA", sprintf("%.17g", x))
for (col in c("estimate", "std_error", "df", "pvalue")) out[[col]] <- fmt(out[[col]])
write.csv(out, file.path(here, "reference.csv"), row.names = FALSE, quote = TRUE)
cat("wrote", nrow(out), "reference rows\n")
