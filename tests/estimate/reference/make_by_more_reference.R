# More reference values for pre-specified heterogeneity (`by=`): ATT, LATE with strata fixed
# effects, several moderators / several baselines / Lin's terms with strata fixed effects, and
# the joint tests of `extra["moderation"]`.
#
# Run from the repository root:  Rscript tests/estimate/reference/make_by_more_reference.R
# Reads het.csv (written by make_by_reference.R; not rewritten here) and writes
#   by_more_reference.csv  one row per (case, term): estimate, std_error, df, pvalue, df1
#                          (17 significant digits), terms named as kaizen_eval names them.
# Coefficient rows leave df1 empty. Joint-test rows are named "test:<treatment>:<moderator>":
# estimate is the F statistic, df1 the number of restrictions q, df the denominator df, and
# pvalue the upper tail of F(q, df) (with CR2: clubSandwich's HTZ test, see below); std_error is
# empty.
#
# Every model is written out by hand with estimatr::lm_robust / iv_robust (explicit design
# columns): effects at a quantile or a level of a moderator are the treatment coefficient of the
# model with the moderator centred there (for a discrete moderator in a several-moderator model,
# its level dummies centred at that level's dummy vector). ke.att with one-sided non-compliance
# (nobody uninvited attended, as in het.csv) is 2SLS of y on attended, instrumented by invited:
# the same model as ke.late.
#
# The joint tests with CR2 are clubSandwich::Wald_test(vcov = "CR2", test = "HTZ"), Pustejovsky
# and Tipton's (2018) small-sample Wald test (df fractional), on the same model fitted by `lm`
# (by AER::ivreg for 2SLS) with the strata fixed effects as factor(stratum) dummies. The others
# are computed by hand from the fit's vcov: W = (R b)'(R V R')^{-1}(R b) / q with an F(q, df2)
# p-value, df2 = G - 1 for CR1 and the residual df N - K (fixed effects counted) otherwise -- the
# rule of estimatr's own F statistic.
suppressPackageStartupMessages({
  library(estimatr)
  library(clubSandwich)
  library(AER)
})

args <- commandArgs(trailingOnly = FALSE)
here <- dirname(normalizePath(sub("^--file=", "", args[grep("^--file=", args)])))
het <- read.csv(file.path(here, "het.csv"))
q <- c(p25 = 0.25, p50 = 0.5, p75 = 0.75)
clustered <- function(se) se %in% c("stata", "CR2")

rows <- list()
add <- function(case, fit, map) {
  for (r in names(map)) {
    rows[[length(rows) + 1]] <<- data.frame(
      case = case, term = map[[r]], estimate = fit$coefficients[[r]],
      std_error = fit$std.error[[r]], df = fit$df[[r]], pvalue = fit$p.value[[r]], df1 = NA)
  }
}
# `club`: for CR2, the model fitted by lm / AER::ivreg (fixed effects as dummies) and its data
add_test <- function(case, term, fit, rmat, se, club = NULL) {
  if (se == "CR2") {
    coefs <- names(coef(club$fit))
    r_full <- matrix(0, nrow(rmat), length(coefs), dimnames = list(NULL, coefs))
    r_full[, colnames(rmat)] <- rmat
    w <- Wald_test(club$fit, constraints = r_full, vcov = "CR2", cluster = club$data$village,
                   test = "HTZ")
    rows[[length(rows) + 1]] <<- data.frame(
      case = case, term = term, estimate = w$Fstat, std_error = NA, df = w$df_denom,
      pvalue = w$p_val, df1 = w$df_num)
    return(invisible())
  }
  b <- rmat %*% fit$coefficients[colnames(rmat)]
  v <- rmat %*% fit$vcov[colnames(rmat), colnames(rmat)] %*% t(rmat)
  nq <- nrow(rmat)
  fstat <- drop(t(b) %*% solve(v, b)) / nq
  df2 <- if (clustered(se)) length(unique(het$village)) - 1 else fit$df.residual
  rows[[length(rows) + 1]] <<- data.frame(
    case = case, term = term, estimate = fstat, std_error = NA, df = df2,
    pvalue = pf(fstat, nq, df2, lower.tail = FALSE), df1 = nq)
}
# rows of R picking coefficients `picked` (zero restrictions) or their successive differences
zero_rows <- function(coefs, picked) {
  m <- matrix(0, length(picked), length(coefs), dimnames = list(NULL, coefs))
  for (i in seq_along(picked)) m[i, picked[i]] <- 1
  m
}
diff_rows <- function(coefs, picked) {
  m <- matrix(0, length(picked) - 1, length(coefs), dimnames = list(NULL, coefs))
  for (i in seq_len(length(picked) - 1)) {
    m[i, picked[i]] <- 1
    m[i, picked[i + 1]] <- -1
  }
  m
}

# A moderator: its columns (kaizen's labels as names) and the kaizen name of the moderator.
continuous <- function(v) list(name = v, cols = setNames(list(het[[v]]), v), kind = "cont")
levels_of <- function(v) {
  levs <- sort(unique(het[[v]]))
  cols <- lapply(levs[-1], function(l) as.numeric(het[[v]] == l))
  list(name = v, cols = setNames(cols, paste0(v, "=", levs[-1])), kind = "levels", levs = levs)
}
centres_at_means <- function(mods) lapply(mods, function(m) sapply(m$cols, mean))

# The same model for clubSandwich: lm (or AER::ivreg) with the fixed effects as dummies.
club_fit <- function(f, d, fe, iv) {
  if (fe) {
    parts <- strsplit(deparse1(f), "|", fixed = TRUE)[[1]]
    f <- as.formula(paste(paste(parts, "+ factor(stratum)"), collapse = " | "))
  }
  list(fit = if (iv) ivreg(f, data = d) else lm(f, data = d), data = d)
}

# The estimatr fit of y: OLS on `rhs`, or (iv) 2SLS of the `endo` regressors instrumented by
# `inst`, `exo` in both stages; strata fixed effects absorbed with `fe`, villages the clusters
# of the clustered SE types. Returns the fit and its formula (for clubSandwich's refit).
robust_fit <- function(d, rhs, endo, inst, exo, se, fe, iv) {
  cl <- if (clustered(se)) d$village else NULL
  if (iv) {
    f <- as.formula(paste("y ~", paste(c(endo, exo), collapse = " + "), "|",
                          paste(c(inst, exo), collapse = " + ")))
    fit <- if (fe) iv_robust(f, data = d, fixed_effects = ~stratum, clusters = cl, se_type = se)
           else iv_robust(f, data = d, clusters = cl, se_type = se)
  } else {
    f <- as.formula(paste("y ~", paste(rhs, collapse = " + ")))
    fit <- if (fe) lm_robust(f, data = d, fixed_effects = ~stratum, clusters = cl, se_type = se)
           else lm_robust(f, data = d, clusters = cl, se_type = se)
  }
  list(fit = fit, f = f)
}

# The centred interaction model of ke.itt / ke.late with `by=` continuous or several moderators,
# written out as explicit columns. `iv`: 2SLS of y on attended (and attended x centred moderators)
# instrumented by invited (and invited x centred moderators). Returns the fit and the map from
# R's coefficient names to kaizen_eval's terms.
moderated <- function(mods, centres, se, fe, iv = FALSE) {
  d <- data.frame(y = het$y, age = het$age, stratum = het$stratum, village = het$village,
                  Tr = if (iv) het$attended else het$invited, Z = het$invited)
  tn <- if (iv) "attended" else "invited"
  endo <- "Tr"
  inst <- "Z"
  exo <- "age"
  map <- list(Tr = tn)
  k <- 0
  for (i in seq_along(mods)) {
    m <- mods[[i]]
    for (j in seq_along(m$cols)) {
      k <- k + 1
      cm <- m$cols[[j]] - centres[[i]][[j]]
      if (!(fe && m$name == "stratum")) {
        d[[sprintf("M%d", k)]] <- cm
        exo <- c(exo, sprintf("M%d", k))
      }
      d[[sprintf("X%d", k)]] <- d$Tr * cm
      d[[sprintf("W%d", k)]] <- d$Z * cm
      endo <- c(endo, sprintf("X%d", k))
      inst <- c(inst, sprintf("W%d", k))
      map[[sprintf("X%d", k)]] <- paste0(tn, ":", names(m$cols)[j])
    }
  }
  fitted <- robust_fit(d, c(endo[-1], "Tr", exo), endo, inst, exo, se, fe, iv)
  f <- fitted$f
  fit <- fitted$fit
  list(fit = fit, map = map, club = if (se == "CR2") club_fit(f, d, fe, iv))
}

# Every reported term of a moderated model, and the joint test of each moderator's interactions.
add_moderated <- function(case, mods, se, fe, iv = FALSE) {
  tn <- if (iv) "attended" else "invited"
  means <- centres_at_means(mods)
  base <- moderated(mods, means, se, fe, iv)
  add(case, base$fit, base$map)
  coefs <- names(base$fit$coefficients)
  for (i in seq_along(mods)) {
    picked <- names(base$map)[unlist(base$map) %in% paste0(tn, ":", names(mods[[i]]$cols))]
    add_test(case, paste("test", tn, mods[[i]]$name, sep = ":"), base$fit,
             zero_rows(coefs, picked), se, base$club)
  }
  for (i in seq_along(mods)) {
    m <- mods[[i]]
    at <- means
    if (m$kind == "cont") {
      for (k in names(q)) {
        at[[i]] <- quantile(het[[m$name]], q[[k]], names = FALSE)
        add(case, moderated(mods, at, se, fe, iv)$fit,
            setNames(list(sprintf("%s[%s=%s]", tn, m$name, k)), "Tr"))
      }
    } else {
      for (l in m$levs) {
        at[[i]] <- as.numeric(m$levs[-1] == l)
        add(case, moderated(mods, at, se, fe, iv)$fit,
            setNames(list(sprintf("%s[%s=%s]", tn, m$name, l)), "Tr"))
      }
    }
  }
}

# One discrete moderator (ke.itt / ke.late `by=<levels>`): one treatment column per level, the
# level dummies unless absorbed by the strata fixed effects, and the equality test across levels.
add_split <- function(case, by, se, fe, iv = FALSE) {
  levs <- sort(unique(het[[by]]))
  d <- data.frame(y = het$y, age = het$age, stratum = het$stratum, village = het$village)
  tn <- if (iv) "attended" else "invited"
  endo <- inst <- exo <- character(0)
  map <- list()
  for (g in seq_along(levs)) {
    inside <- as.numeric(het[[by]] == levs[g])
    d[[sprintf("T%d", g)]] <- (if (iv) het$attended else het$invited) * inside
    d[[sprintf("Z%d", g)]] <- het$invited * inside
    endo <- c(endo, sprintf("T%d", g))
    inst <- c(inst, sprintf("Z%d", g))
    map[[sprintf("T%d", g)]] <- sprintf("%s[%s=%s]", tn, by, levs[g])
    if (g > 1 && !(fe && by == "stratum")) {
      d[[sprintf("G%d", g)]] <- inside
      exo <- c(exo, sprintf("G%d", g))
    }
  }
  exo <- c(exo, "age")
  fitted <- robust_fit(d, c(endo, exo), endo, inst, exo, se, fe, iv)
  f <- fitted$f
  fit <- fitted$fit
  add(case, fit, map)
  add_test(case, paste("test", tn, by, sep = ":"), fit,
           diff_rows(names(fit$coefficients), names(map)), se,
           if (se == "CR2") club_fit(f, d, fe, iv))
}

case_name <- function(model, fe, se) paste(if (fe) paste0(model, "_fe") else model, se, sep = ":")
ses <- c("HC1", "HC2", "stata", "CR2")

# ---- 1. ATT (one-sided non-compliance: 2SLS) by a continuous and by a discrete moderator --------
for (se in ses) for (fe in c(FALSE, TRUE)) {
  add_moderated(case_name("att_cont", fe, se), list(continuous("educ")), se, fe, iv = TRUE)
  add_split(case_name("att_female", fe, se), "female", se, fe, iv = TRUE)
}

# ---- 2. LATE with strata fixed effects, and HC1 / CR1 ---------------------------------------------
# (HC2 and CR2 without fixed effects are in by_reference.csv)
for (se in ses) for (fe in c(FALSE, TRUE)) {
  if (!fe && se %in% c("HC2", "CR2")) next
  add_moderated(case_name("late_cont", fe, se), list(continuous("educ")), se, fe, iv = TRUE)
  add_split(case_name("late_female", fe, se), "female", se, fe, iv = TRUE)
}
for (se in c("HC1", "CR2")) add_split(case_name("late_stratum", TRUE, se), "stratum", se, TRUE,
                                      iv = TRUE)
add_moderated(case_name("late_two", TRUE, "CR2"), list(continuous("educ"), levels_of("female")),
              "CR2", TRUE, iv = TRUE)

# ---- 3. several moderators, several baselines, Lin's terms: with strata fixed effects ------------
for (se in c("HC1", "HC2", "CR2")) {
  add_moderated(case_name("itt_two", TRUE, se), list(continuous("educ"), levels_of("female")),
                se, TRUE)
  add_moderated(case_name("itt_two_stratum", TRUE, se),
                list(continuous("educ"), levels_of("stratum")), se, TRUE)
}
d <- het
for (b in c("y0b", "emp0")) {
  d[[paste0(b, "_missing")]] <- as.numeric(is.na(d[[b]]))
  d[[b]][is.na(d[[b]])] <- 0
}
d$age_c <- d$age - mean(d$age)
d$educ_c <- d$educ - mean(d$educ)
for (se in c("HC1", "HC2", "CR2")) {
  cl <- if (clustered(se)) d$village else NULL
  fit <- lm_robust(y ~ invited + age + y0b + y0b_missing + emp0 + emp0_missing, data = d,
                   fixed_effects = ~stratum, clusters = cl, se_type = se)
  add(case_name("itt_baselines", TRUE, se), fit,
      list(invited = "invited", age = "age", y0b = "y0b", y0b_missing = "y0b_missing",
           emp0 = "emp0", emp0_missing = "emp0_missing"))
  fit <- iv_robust(y ~ attended + age + y0b + y0b_missing + emp0 + emp0_missing |
                     invited + age + y0b + y0b_missing + emp0 + emp0_missing, data = d,
                   fixed_effects = ~stratum, clusters = cl, se_type = se)
  add(case_name("late_baselines", TRUE, se), fit,
      list(attended = "attended", age = "age", y0b = "y0b", y0b_missing = "y0b_missing",
           emp0 = "emp0", emp0_missing = "emp0_missing"))
  # Lin (2013) with strata fixed effects: lm_lin has no fixed_effects, so written out
  fit <- lm_robust(y ~ invited + age + educ + invited:age_c + invited:educ_c, data = d,
                   fixed_effects = ~stratum, clusters = cl, se_type = se)
  add(case_name("itt_lin_terms", TRUE, se), fit,
      list(invited = "invited", "invited:age_c" = "invited:age",
           "invited:educ_c" = "invited:educ"))
}

# ---- 4. the equality test across the five strata (df1 = 4), with and without fixed effects -------
for (se in ses) for (fe in c(FALSE, TRUE)) add_split(case_name("itt_stratum", fe, se), "stratum",
                                                       se, fe)

res <- do.call(rbind, rows)
for (col in c("estimate", "std_error", "df", "pvalue", "df1")) {
  res[[col]] <- ifelse(is.na(res[[col]]), "", sprintf("%.17g", res[[col]]))
}
write.csv(res, file.path(here, "by_more_reference.csv"), row.names = FALSE)
cat("wrote", nrow(res), "rows in", length(unique(res$case)), "cases\n")
