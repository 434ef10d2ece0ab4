#!/usr/bin/env Rscript
## =============================================================================
## reference.R -- R reference values for the design-based analysis of experts
## clustered in administrative units (Russia-China cooperation survey).
##
## Run from tests/reference:   Rscript reference.R
## Input : sample_codes.csv  (123 experts x 77 units)
## Output: out/rao_scott.csv, out/proportions.csv, out/effects.csv,
##         out/models.csv, out/overall.csv, out/anchor_check.csv,
##         out/versions.csv
##
## All numbers are written with 15 significant digits (options(digits = 15)
## + write.csv).  Every random procedure uses a fixed seed, R's default RNG
## (Mersenne-Twister, Inversion, Rejection sampling).
## =============================================================================

options(digits = 15, warn = 1, stringsAsFactors = FALSE)
suppressPackageStartupMessages({
  library(survey)        # svydesign, svychisq, svymean, svyciprop, svyby, svyglm
  library(sandwich)      # vcovCL (CR1 / HC1 cluster-robust)
  library(clubSandwich)  # CR2 + Satterthwaite, Wald_test HTZ
})

dir.create("out", showWarnings = FALSE)
wcsv <- function(x, file) {
  write.csv(x, file.path("out", file), row.names = FALSE, na = "NA")
  cat("wrote out/", file, " (", nrow(x), " rows)\n", sep = "")
}
Z975 <- qnorm(0.975)

## -----------------------------------------------------------------------------
## Data
## -----------------------------------------------------------------------------
d <- read.csv("sample_codes.csv", stringsAsFactors = FALSE)
cats <- c("distance", "language", "funding", "mentality", "covid", "legal",
          "interest", "bureaucracy", "economy", "no_problems")
stopifnot(nrow(d) == 123, length(unique(d$unit_id)) == 77, all(cats %in% names(d)))

d$region <- as.integer(d$kind == "region")            # region (1) vs city (0)
d$log10_distance <- log10(d$distance_km)
## unit-equal weights: each unit gets total weight 1 (w = 1 / experts in unit)
d$w_unit <- 1 / ave(rep(1, nrow(d)), d$unit_id, FUN = sum)

## Designs: one-stage cluster sample, units = PSUs, no strata, no fpc.
## (No weights -> survey assumes equal probability and warns; warning muted.)
des   <- suppressWarnings(svydesign(ids = ~unit_id, data = d))
des_u <- svydesign(ids = ~unit_id, weights = ~w_unit, data = d)

has_var <- function(x) length(unique(x)) > 1

## =============================================================================
## (a) Rao-Scott tests: category x grouping (border, macro_region)
## =============================================================================
## survey::svychisq(statistic = "F"): F = X2_P / trace(Delta), ndf = d0 =
##   trace(Delta)^2 / trace(Delta^2), ddf = d0 * (#PSU - #strata) (second order).
## survey::svychisq(statistic = "Chisq"): the *returned statistic* is still the
##   plain Pearson X2_P; only the p-value is first-order corrected:
##   p = P(chi2_k > X2_P / mean(eig(Delta))), k = (r-1)(c-1).
## We therefore derive  trace(Delta) = X2_P / F,
##                      deff (mean generalised design effect) = trace(Delta)/k,
##                      X2_first = X2_P / deff = Pearson / first-order ratio.
rs_row <- function(cat, grp, design) {
  y <- design$variables[[cat]]; g <- design$variables[[grp]]
  base <- data.frame(category = cat, grouping = grp,
                     n_groups = length(unique(g)), n = length(y), events = sum(y))
  na_part <- data.frame(pearson_X2 = NA, pearson_df = NA, pearson_p = NA,
                        F = NA, ndf = NA, ddf = NA, F_p = NA,
                        X2_first = NA, df_first = NA, p_first = NA,
                        deff_mean = NA, trace_delta = NA)
  if (!has_var(y)) {
    return(cbind(base, na_part,
                 note = sprintf("no variation (%d of %d): test undefined", sum(y), length(y))))
  }
  f  <- as.formula(paste0("~", cat, "+", grp))
  pl <- suppressWarnings(chisq.test(table(y, g), correct = FALSE))
  rF <- svychisq(f, design, statistic = "F")
  rC <- svychisq(f, design, statistic = "Chisq")
  X2 <- unname(rC$statistic)                      # == plain Pearson (unweighted)
  k  <- unname(rC$parameter)                      # (r-1)(c-1)
  trD <- X2 / unname(rF$statistic)
  deff <- trD / k
  X2f <- X2 / deff
  stopifnot(abs(pchisq(X2f, k, lower.tail = FALSE) - rC$p.value) <= 1e-12 + 1e-8 * rC$p.value,
            abs(X2 - unname(pl$statistic)) < 1e-9)
  cbind(base,
        data.frame(pearson_X2 = unname(pl$statistic), pearson_df = unname(pl$parameter),
                   pearson_p = pl$p.value,
                   F = unname(rF$statistic), ndf = unname(rF$parameter["ndf"]),
                   ddf = unname(rF$parameter["ddf"]), F_p = rF$p.value,
                   X2_first = X2f, df_first = k, p_first = rC$p.value,
                   deff_mean = deff, trace_delta = trD),
        note = ifelse(any(suppressWarnings(chisq.test(table(y, g))$expected) < 5),
                      "some expected counts < 5", ""))
}

## svymean(~cat, deff = TRUE): design effect of the overall proportion.
## CAUTION: with no weights survey sets prob = 1, so the implied population
## size is N = n = 123 and the SRS *without replacement* variance used by
## deff = TRUE carries the fpc (1 - n/N) = 0 -> deff = Inf.  The meaningful
## value is deff = "replace" (design variance / SRS-with-replacement variance,
## which survey computes as s^2/n = p(1-p)/(n-1)), reported as svymean_deff_replace;
## the literal deff = TRUE result is kept as svymean_deff_TRUE.
svymean_cols <- function(cat) {
  f <- as.formula(paste0("~", cat))
  m  <- svymean(f, des, deff = TRUE)
  mr <- svymean(f, des, deff = "replace")
  ok <- has_var(d[[cat]])
  data.frame(svymean = unname(coef(m)), svymean_se = unname(SE(m)),
             svymean_deff_replace = if (ok) unname(deff(mr)) else NA,
             svymean_deff_TRUE = if (ok) unname(deff(m)) else NA)
}

rao <- do.call(rbind, lapply(cats, function(cc) {
  sm <- svymean_cols(cc)
  do.call(rbind, lapply(c("border", "macro_region"),
                        function(gg) cbind(rs_row(cc, gg, des), sm)))
}))
wcsv(rao, "rao_scott.csv")

## =============================================================================
## (b) Proportions by border group, with CIs
## =============================================================================
## expert-level (unweighted) design and unit-equal design (w = 1/m_unit).
## Korn-Graubard: svyciprop(method = "beta") (df = degf of the domain subset,
## survey's default); logit: svyciprop(method = "logit").
## Wilson (score, no continuity correction) only for the unweighted rows.
wilson <- function(x, n, z = Z975) {
  p <- x / n
  cen <- (p + z^2 / (2 * n)) / (1 + z^2 / n)
  hw  <- z * sqrt(p * (1 - p) / n + z^2 / (4 * n^2)) / (1 + z^2 / n)
  c(cen - hw, cen + hw)
}
ci_or_na <- function(expr) tryCatch(expr, error = function(e) c(NA_real_, NA_real_))

prop_rows <- function(cat, design, weighting) {
  y <- design$variables[[cat]]
  chi <- if (has_var(y)) svychisq(as.formula(paste0("~", cat, "+border")),
                                  design, statistic = "F") else NULL
  do.call(rbind, lapply(c(1, 0), function(g) {
    sub <- subset(design, border == g)
    yy  <- d[[cat]][d$border == g]
    f   <- as.formula(paste0("~", cat))
    m   <- svymean(f, sub)
    kg  <- ci_or_na(as.numeric(attr(svyciprop(f, sub, method = "beta"), "ci")))
    lg  <- if (has_var(y)) ci_or_na(as.numeric(attr(svyciprop(f, sub, method = "logit"), "ci")))
           else c(NA_real_, NA_real_)
    wi  <- if (weighting == "expert") wilson(sum(yy), length(yy)) else c(NA, NA)
    if (weighting == "expert") {            # check Wilson formula vs prop.test
      pt <- prop.test(sum(yy), length(yy), correct = FALSE)$conf.int
      stopifnot(max(abs(pt - wi)) < 1e-10)
    }
    data.frame(category = cat, weighting = weighting, border = g,
               n = length(yy), n_units = length(unique(d$unit_id[d$border == g])),
               count = sum(yy), proportion = mean(yy),
               estimate = unname(coef(m)), se = unname(SE(m)),
               domain_degf = degf(sub),
               kg_low = kg[1], kg_high = kg[2],
               logit_low = lg[1], logit_high = lg[2],
               wilson_low = wi[1], wilson_high = wi[2],
               chisq_F = if (is.null(chi)) NA else unname(chi$statistic),
               chisq_ndf = if (is.null(chi)) NA else unname(chi$parameter["ndf"]),
               chisq_ddf = if (is.null(chi)) NA else unname(chi$parameter["ddf"]),
               chisq_p = if (is.null(chi)) NA else chi$p.value,
               note = if (has_var(y)) "" else "no variation: logit CI and test undefined")
  }))
}
props <- rbind(do.call(rbind, lapply(cats, prop_rows, design = des,   weighting = "expert")),
               do.call(rbind, lapply(cats, prop_rows, design = des_u, weighting = "unit_equal")))
wcsv(props, "proportions.csv")

## =============================================================================
## (c) Effect sizes: border (exposed) vs non-border (reference)
## =============================================================================
## 2x2 table  [a b; c d] with rows border = 1, 0 and columns cat = 1, 0.
## * fisher.test: two-sided p (sum of hypergeometric probs <= observed, with
##   R's relative tolerance 1e-7), conditional MLE OR and exact 95% CI.
## * mid-p (two-sided): sum P(x) over tables with P(x) < P(obs) + 0.5 * sum
##   P(x) over tables with P(x) == P(obs) (same 1e-7 relative tolerance),
##   i.e. mid-p = fisher_p - 0.5 * P(equal-probability tables).
## * sample OR = ad/(bc), Woolf CI exp(log OR +- z sqrt(1/a+1/b+1/c+1/d)).
## * RD = p1 - p0: Newcombe (1998) hybrid score interval (method 10, Wilson
##   limits without continuity correction).
## * RR = p1/p0: Katz log interval exp(log RR +- z sqrt(1/a - 1/n1 + 1/c - 1/n0)).
## * design-based: svyby(~cat, ~border, svymean, covmat = TRUE), then
##   svycontrast for `1` - `0` (RD) and log(`1`/`0`) (log RR, delta method);
##   CIs normal (z) and, for comparison, t with degf(des) = 76 df.
midp_two_sided <- function(a, n1, m, n) {
  lo <- max(0, n1 - (n - m)); hi <- min(n1, m)
  dens <- dhyper(lo:hi, m, n - m, n1)
  p0 <- dhyper(a, m, n - m, n1)
  rel <- 1 + 1e-7
  less  <- dens < p0 / rel
  equal <- dens <= p0 * rel & !less
  c(midp = sum(dens[less]) + 0.5 * sum(dens[equal]),
    fisher_check = sum(dens[dens <= p0 * rel]))
}

eff_row <- function(cat) {
  y <- d[[cat]]; g <- d$border
  a <- sum(g == 1 & y == 1); b <- sum(g == 1 & y == 0)
  c <- sum(g == 0 & y == 1); dd <- sum(g == 0 & y == 0)
  n1 <- a + b; n0 <- c + dd; n <- n1 + n0; m <- a + c
  p1 <- a / n1; p0 <- c / n0
  out <- data.frame(category = cat, a_border_yes = a, b_border_no = b,
                    c_nonborder_yes = c, d_nonborder_no = dd, p_border = p1, p_nonborder = p0)
  tab <- matrix(c(a, c, b, dd), 2, dimnames = list(border = c("1", "0"), cat = c("1", "0")))
  ft <- fisher.test(tab)
  if (!has_var(y)) {
    return(cbind(out, data.frame(
      fisher_p = ft$p.value, cond_or = NA, cond_or_low = NA, cond_or_high = NA,
      midp = NA, sample_or = NA, woolf_low = NA, woolf_high = NA,
      rd = p1 - p0, rd_newcombe_low = NA, rd_newcombe_high = NA,
      rr = p1 / p0, rr_katz_low = NA, rr_katz_high = NA,
      svy_rd = NA, svy_rd_se = NA, svy_rd_z_low = NA, svy_rd_z_high = NA, svy_rd_p = NA,
      svy_rd_t_low = NA, svy_rd_t_high = NA,
      svy_logrr = NA, svy_logrr_se = NA, svy_rr = NA, svy_rr_z_low = NA, svy_rr_z_high = NA,
      svy_rr_p = NA, svy_rr_t_low = NA, svy_rr_t_high = NA,
      note = sprintf("no variation (%d of %d): effect sizes undefined", sum(y), length(y)))))
  }
  mp <- midp_two_sided(a, n1, m, n)
  stopifnot(abs(mp["fisher_check"] - ft$p.value) < 1e-12)
  ## sample OR / Woolf
  if (min(a, b, c, dd) > 0) {
    lor <- log(a * dd / (b * c)); se <- sqrt(1 / a + 1 / b + 1 / c + 1 / dd)
    sor <- exp(lor); wl <- exp(lor - Z975 * se); wh <- exp(lor + Z975 * se)
  } else { sor <- a * dd / (b * c); wl <- wh <- NA }
  ## Newcombe hybrid score for RD
  w1 <- wilson(a, n1); w0 <- wilson(c, n0); rd <- p1 - p0
  nl <- rd - sqrt((p1 - w1[1])^2 + (w0[2] - p0)^2)
  nh <- rd + sqrt((w1[2] - p1)^2 + (p0 - w0[1])^2)
  ## Katz log RR
  rr <- p1 / p0
  serr <- if (a > 0 && c > 0) sqrt(1 / a - 1 / n1 + 1 / c - 1 / n0) else NA
  ## design-based contrasts
  by <- svyby(as.formula(paste0("~", cat)), ~border, des, svymean, covmat = TRUE)
  sd_ <- svycontrast(by, quote(`1` - `0`))
  sr_ <- svycontrast(by, quote(log(`1` / `0`)))
  e1 <- unname(coef(sd_)); s1 <- unname(SE(sd_))
  e2 <- unname(coef(sr_)); s2 <- unname(SE(sr_))
  tq <- qt(0.975, degf(des))
  cbind(out, data.frame(
    fisher_p = ft$p.value, cond_or = unname(ft$estimate),
    cond_or_low = ft$conf.int[1], cond_or_high = ft$conf.int[2],
    midp = unname(mp["midp"]),
    sample_or = sor, woolf_low = wl, woolf_high = wh,
    rd = rd, rd_newcombe_low = nl, rd_newcombe_high = nh,
    rr = rr, rr_katz_low = exp(log(rr) - Z975 * serr), rr_katz_high = exp(log(rr) + Z975 * serr),
    svy_rd = e1, svy_rd_se = s1, svy_rd_z_low = e1 - Z975 * s1, svy_rd_z_high = e1 + Z975 * s1,
    svy_rd_p = 2 * pnorm(-abs(e1 / s1)),
    svy_rd_t_low = e1 - tq * s1, svy_rd_t_high = e1 + tq * s1,
    svy_logrr = e2, svy_logrr_se = s2, svy_rr = exp(e2),
    svy_rr_z_low = exp(e2 - Z975 * s2), svy_rr_z_high = exp(e2 + Z975 * s2),
    svy_rr_p = 2 * pnorm(-abs(e2 / s2)),
    svy_rr_t_low = exp(e2 - tq * s2), svy_rr_t_high = exp(e2 + tq * s2),
    note = ""))
}
effects <- do.call(rbind, lapply(cats, eff_row))
wcsv(effects, "effects.csv")

## =============================================================================
## (d) Logistic models  cat ~ border + region + log10(distance_km)
## =============================================================================
## Firth's penalised logistic regression (logistf is not packaged in Debian):
## maximise l*(b) = l(b) + 0.5 log det(X' W X)  (Jeffreys prior penalty).
## Newton-Raphson on the modified score
##   U*_r(b) = sum_i (y_i - pi_i + h_i (1/2 - pi_i)) x_ir,
## h_i = diagonal of W^1/2 X (X'WX)^-1 X' W^1/2, with the Fisher information
## X'WX as Hessian approximation, step length capped at 5 and step-halving on
## l* (as logistf).  Constrained fits (b_k fixed) update only the free
## components while the penalty keeps the FULL X (as logistf's profile).
## p-values: penalised likelihood-ratio test 2 (l*(b^) - l*(b^ | b_k = 0)) ~ chi2_1
## (logistf default); CIs: profile penalised likelihood (root of the same
## statistic at qchisq(.95, 1)); Wald SE from (X'WX)^-1 at b^ also given.
firth_pll <- function(X, y, b) {
  eta <- drop(X %*% b); p <- plogis(eta); w <- p * (1 - p)
  sum(y * eta + plogis(-eta, log.p = TRUE)) +
    0.5 * as.numeric(determinant(crossprod(X, X * w), logarithm = TRUE)$modulus)
}
firth_fit <- function(X, y, fixed = integer(0), fixval = 0, start = NULL,
                      maxit = 500, tol = 1e-10, maxstep = 5) {
  k <- ncol(X); b <- if (is.null(start)) rep(0, k) else start
  if (length(fixed)) b[fixed] <- fixval
  free <- setdiff(seq_len(k), fixed)
  pll <- firth_pll(X, y, b)
  for (it in seq_len(maxit)) {
    eta <- drop(X %*% b); p <- plogis(eta); w <- p * (1 - p)
    info <- crossprod(X, X * w)
    Xw <- X * sqrt(w)
    h <- rowSums((Xw %*% solve(info)) * Xw)
    U <- drop(crossprod(X, y - p + h * (0.5 - p)))
    step <- rep(0, k)
    step[free] <- solve(info[free, free, drop = FALSE], U[free])
    mx <- max(abs(step)); if (mx > maxstep) step <- step * maxstep / mx
    if (max(abs(U[free])) < tol && max(abs(step)) < tol) break
    bn <- b + step; pn <- firth_pll(X, y, bn); halv <- 0
    while (pn < pll - 1e-12 && halv < 30) { step <- step / 2; bn <- b + step
      pn <- firth_pll(X, y, bn); halv <- halv + 1 }
    b <- bn; pll <- pn
    if (max(abs(step)) < tol) break
  }
  eta <- drop(X %*% b); p <- plogis(eta)
  info <- crossprod(X, X * (p * (1 - p)))
  list(coef = setNames(b, colnames(X)), pll = firth_pll(X, y, b),
       vcov = solve(info), iter = it)
}
firth_profile <- function(X, y, fit, j, level = 0.95) {
  q <- qchisq(level, 1); bh <- fit$coef
  dev <- function(v) 2 * (fit$pll - firth_fit(X, y, fixed = j, fixval = v, start = bh)$pll)
  plr_p <- pchisq(dev(0), 1, lower.tail = FALSE)
  se <- sqrt(fit$vcov[j, j])
  root <- function(dir) {
    lo <- bh[j]; step <- se
    hi <- bh[j] + dir * step
    while (dev(hi) < q) { step <- step * 2; hi <- bh[j] + dir * step
      if (step > 100) return(NA_real_) }
    uniroot(function(v) dev(v) - q, sort(c(lo, hi)), tol = 1e-10)$root
  }
  c(plr_p = plr_p, ci_low = root(-1), ci_high = root(+1))
}

model_cats <- setdiff(cats, "covid")
fml_rhs <- "border + region + log10(distance_km)"
models <- list(); joint <- list()
for (cc in model_cats) {
  f <- as.formula(paste(cc, "~", fml_rhs))
  glm_warn <- character(0)
  fit <- withCallingHandlers(glm(f, family = binomial, data = d),
                             warning = function(w) { glm_warn <<- c(glm_warn, conditionMessage(w))
                               invokeRestart("muffleWarning") })
  X <- model.matrix(fit); y <- d[[cc]]; kcoef <- ncol(X)
  ## CR1: sandwich::vcovCL(type = "HC1") -> G/(G-1) * (n-1)/(n-k) adjustment
  V1 <- vcovCL(fit, cluster = ~unit_id, type = "HC1")
  se1 <- sqrt(diag(V1))
  ## CR2 + Satterthwaite (clubSandwich)
  ct <- coef_test(fit, vcov = "CR2", cluster = d$unit_id, test = "Satterthwaite")
  ## design-based svyglm (quasibinomial), t with residual design df
  sg <- svyglm(f, design = des, family = quasibinomial())
  sgc <- summary(sg)$coefficients
  ## Firth (own implementation, see above)
  ff <- firth_fit(X, y)
  fprof <- t(sapply(seq_len(kcoef), function(j) firth_profile(X, y, ff, j)))
  ev <- sum(y); epp <- min(ev, length(y) - ev) / kcoef
  models[[cc]] <- data.frame(
    category = cc, term = colnames(X), n = length(y), events = ev,
    n_coef = kcoef, events_per_parameter = epp,
    glm_coef = unname(coef(fit)), glm_se = unname(sqrt(diag(vcov(fit)))),
    glm_p = unname(summary(fit)$coefficients[, 4]),
    cr1_se = unname(se1), cr1_z = unname(coef(fit) / se1),
    cr1_p = unname(2 * pnorm(-abs(coef(fit) / se1))),
    cr2_se = ct$SE, cr2_t = ct$tstat, cr2_df = ct$df_Satt, cr2_p = ct$p_Satt,
    svyglm_coef = unname(sgc[, 1]), svyglm_se = unname(sgc[, 2]),
    svyglm_t = unname(sgc[, 3]), svyglm_df = sg$df.residual, svyglm_p = unname(sgc[, 4]),
    firth_coef = unname(ff$coef), firth_se = unname(sqrt(diag(ff$vcov))),
    firth_wald_p = unname(2 * pnorm(-abs(ff$coef / sqrt(diag(ff$vcov))))),
    firth_plr_p = unname(fprof[, "plr_p"]),
    firth_ci_low = unname(fprof[, "ci_low"]), firth_ci_high = unname(fprof[, "ci_high"]),
    glm_warnings = paste(unique(glm_warn), collapse = "; "))
  ## joint CR2 Wald test (HTZ) of border and log10(distance_km)
  wt <- Wald_test(fit, constraints = constrain_zero(c("border", "log10(distance_km)")),
                  vcov = "CR2", cluster = d$unit_id, test = "HTZ")
  ## also the plain CR1 joint Wald chi-square (2 df) for comparison
  idx <- c("border", "log10(distance_km)")
  b2 <- coef(fit)[idx]; W1 <- drop(t(b2) %*% solve(V1[idx, idx], b2))
  joint[[cc]] <- data.frame(category = cc, test = c("CR2_HTZ", "CR1_Wald_chisq"),
                            terms = "border + log10(distance_km)",
                            statistic = c(wt$Fstat, W1), df_num = c(wt$df_num, 2),
                            df_denom = c(wt$df_denom, Inf),
                            p = c(wt$p_val, pchisq(W1, 2, lower.tail = FALSE)))
}
models_df <- do.call(rbind, models)
joint_df <- do.call(rbind, joint)
## one file: coefficient rows (row_type = "coef") then joint-test rows
## (row_type = "joint_test", term = test name, statistic/df in own columns)
jt <- data.frame(matrix(NA, nrow(joint_df), ncol(models_df), dimnames = list(NULL, names(models_df))))
jt$category <- joint_df$category; jt$term <- paste0("joint[", joint_df$terms, "]:", joint_df$test)
models_out <- rbind(cbind(row_type = "coef", models_df,
                          joint_stat = NA, joint_df_num = NA, joint_df_denom = NA, joint_p = NA),
                    cbind(row_type = "joint_test", jt,
                          joint_stat = joint_df$statistic, joint_df_num = joint_df$df_num,
                          joint_df_denom = joint_df$df_denom, joint_p = joint_df$p))
wcsv(models_out, "models.csv")

## Cross-check of the Firth implementation against brglm2 (if installed):
## brglmFit(type = "MPL_Jeffreys") maximises the same Jeffreys-penalised
## likelihood, which for the logit link is exactly Firth (1993).
firth_check <- NA
if (requireNamespace("brglm2", quietly = TRUE)) {
  firth_check <- max(sapply(model_cats, function(cc) {
    f <- as.formula(paste(cc, "~", fml_rhs))
    bf <- glm(f, family = binomial, data = d, method = brglm2::brglmFit,
              type = "MPL_Jeffreys", epsilon = 1e-12, maxit = 1000)
    max(abs(coef(bf) - models[[cc]]$firth_coef))
  }))
  cat(sprintf("Firth vs brglm2 MPL_Jeffreys: max |coef diff| = %.3g\n", firth_check))
}

## =============================================================================
## (e) Overall test of marginal independence: border x several items
## =============================================================================
## S = sum over items j of the Pearson X2 of the 2x2 table (border x item j)
## (= Agresti & Liu's / Bilder et al.'s modified Pearson statistic X2_S).
items8 <- setdiff(cats, c("covid", "no_problems"))
items9 <- setdiff(cats, "covid")
Yall <- as.matrix(d[, items9]); g <- d$border; n <- nrow(d)

## Pearson X2 of a 2x2 from a = #(g=1,y=1), n1 = #(g=1), m = #(y=1), n:
## ad - bc = a n - n1 m  ->  X2 = n (a n - n1 m)^2 / (n1 (n-n1) m (n-m)).
## Vectorised over rows of A (replicates) and columns (items).
x2_fast <- function(A, n1, m, n) {
  num <- n * (A * n - outer(n1, m))^2
  den <- outer(n1 * (n - n1), m * (n - m))
  num / den
}
x2_obs <- drop(x2_fast(matrix(colSums(Yall[g == 1, ]), 1), sum(g), colSums(Yall), n))
names(x2_obs) <- items9
for (j in items9) stopifnot(abs(x2_obs[j] - suppressWarnings(
  chisq.test(table(g, d[[j]]), correct = FALSE)$statistic)) < 1e-9)
## no zero cells among the observed 2x2 tables (so MRCV's +0.5 for zero
## cells does not change the observed statistic)
stopifnot(all(table(g, Yall[, "no_problems"]) > 0))

## ---- (i) Rao-Scott second-order adjustment (MRCV::MI.test(type = "rs2")) ----
## With a single-response grouping (I = 1), MRCV::MI.test() calls MMI.test(),
## which implements Appendix A of Bilder, Loughin & Nettleton (2000, Commun.
## Stat. Theory Methods 29, 1285-1316); Bilder & Loughin (2004, Biometrics 60,
## 241-248) give the same construction for two MRCVs (SPMI).  Notation:
##   r = number of groups (2), c = number of items, a_i = n_i./n,
##   tau_i = distribution of the 2^c response patterns within group i,
##   G~ = c x 2^c matrix of 0/1 patterns, pi_i = G~ tau_i (item margins in i),
##   pi_.j = sum_i a_i pi_ij, G = I_r (x) G~,
##   V = blockdiag_i { (1/a_i)(diag(tau_i) - tau_i tau_i') }  (product multinomial)
##   H = I_rc - (J_rr A) (x) I_c,  A = diag(a_i)   (pi -> pi_i - pi_.)
##   D = diag(n/n_i.) (x) diag(pi_.j (1 - pi_.j))
## Under MMI  X2_S ~ sum_k lambda_k chi2_1, lambda = eig(D^-1 H G V G' H').
##   first order : X2_S / lambda_bar on (r-1)c df, lambda_bar = sum(lambda)/((r-1)c)
##   second order (MRCV): X2_S.rs2 = (r-1) c X2_S / sum(lambda^2),
##                        df.rs2   = (r-1)^2 c^2 / sum(lambda^2)
##   (MRCV takes E[X2_S] = (r-1)c; the Satterthwaite variant using the
##    estimated sum(lambda) is X2_S sum(lambda)/sum(lambda^2) on
##    sum(lambda)^2/sum(lambda^2) df -- reported too.)
## G V G' is computed in two equivalent ways: from the pattern table exactly
## as in MRCV, and as blockdiag((1/a_i) Cov_i(Y)) (ML covariance of the item
## vector within group i); they must agree.
rs2_mmi <- function(Y, g) {
  Y <- as.matrix(Y); n <- nrow(Y); c <- ncol(Y); lev <- sort(unique(g)); r <- length(lev)
  ni <- sapply(lev, function(l) sum(g == l)); a <- ni / n
  ## moment form
  Vblk <- matrix(0, r * c, r * c)
  for (i in seq_len(r)) {
    Yi <- Y[g == lev[i], , drop = FALSE]; mu <- colMeans(Yi)
    Ci <- crossprod(Yi) / nrow(Yi) - tcrossprod(mu)
    ix <- (i - 1) * c + seq_len(c); Vblk[ix, ix] <- Ci / a[i]
  }
  ## pattern form (MRCV Appendix A)
  pats <- as.matrix(expand.grid(rep(list(0:1), c)))        # 2^c x c patterns
  key  <- function(M) drop(M %*% 2^(0:(c - 1)))
  Gt <- t(pats)                                            # c x 2^c
  Vp <- matrix(0, r * c, r * c)
  for (i in seq_len(r)) {
    tau <- tabulate(key(Y[g == lev[i], , drop = FALSE]) + 1, nbins = 2^c) / ni[i]
    ix <- (i - 1) * c + seq_len(c)
    Vp[ix, ix] <- Gt %*% ((diag(tau) - tcrossprod(tau)) / a[i]) %*% t(Gt)
  }
  stopifnot(max(abs(Vp - Vblk)) < 1e-12)
  pidot <- colMeans(Y)                                     # pi_.j
  H <- diag(r * c) - kronecker(matrix(1, r, r) %*% diag(a, r), diag(c))
  Ddiag <- rep(1 / a, each = c) * rep(pidot * (1 - pidot), r)
  M <- (H %*% Vblk %*% t(H)) / Ddiag                       # D^-1 H G V G' H'
  lam <- Re(eigen(M, only.values = TRUE)$values)
  k <- (r - 1) * c
  list(lambda = lam, sum_l = sum(lam), sum_l2 = sum(lam^2), k = k)
}
## SPMI form of Bilder & Loughin (2004) with the grouping treated as a
## one-item MRCV (I = 1, J = c).  Full multinomial for the joint (W, Y) pattern:
##   Sigma = F (diag(tau) - tau tau') F',  F = gradient of pi_1j - pi_1. pi_.j,
##   i.e. Sigma = Cov(Z), Z_j = W Y_j - pi_1. Y_j - W pi_.j  (ML covariance),
##   D = diag(pi_1.(1 - pi_1.) pi_.j (1 - pi_.j)),
##   X2_S.rs2 = I J X2_S / sum(lambda^2), df = I^2 J^2 / sum(lambda^2).
## (MI.test itself would use MMI for I = 1; this is a sensitivity check.)
rs2_spmi1 <- function(Y, w) {
  Y <- as.matrix(Y); pw <- mean(w); pj <- colMeans(Y)
  Zm <- Y * w - pw * Y - outer(w, pj)
  Zc <- sweep(Zm, 2, colMeans(Zm))
  Sig <- crossprod(Zc) / nrow(Y)
  Dd <- pw * (1 - pw) * pj * (1 - pj)
  lam <- Re(eigen(Sig / Dd, only.values = TRUE)$values)
  list(lambda = lam, sum_l = sum(lam), sum_l2 = sum(lam^2), k = ncol(Y))
}

overall <- list()
add_row <- function(...) overall[[length(overall) + 1]] <<- data.frame(...)
for (set in list(list(name = "8_items(no covid, no no_problems)", items = items8),
                 list(name = "9_items(no covid)", items = items9))) {
  it <- set$items; S <- sum(x2_obs[it]); c_ <- length(it)
  base <- list(item_set = set$name, n_items = c_, S = S)
  ## naive reference: S vs chi2_c (ignores correlation between items)
  do.call(add_row, c(base, list(method = "naive_chisq_sum", statistic = S, df = c_,
                                p = pchisq(S, c_, lower.tail = FALSE), B = NA, B_used = NA,
                                seed = NA, note = "S ~ chi2(c): ignores item correlation")))
  rm_ <- rs2_mmi(Yall[, it], g)
  lbar <- rm_$sum_l / rm_$k
  do.call(add_row, c(base, list(method = "rs1_mmi_first_order", statistic = S / lbar, df = rm_$k,
                                p = pchisq(S / lbar, rm_$k, lower.tail = FALSE), B = NA, B_used = NA,
                                seed = NA, note = sprintf("lambda_bar=%.15g sum_lambda=%.15g sum_lambda2=%.15g",
                                                          lbar, rm_$sum_l, rm_$sum_l2))))
  st <- rm_$k * S / rm_$sum_l2; df_ <- rm_$k^2 / rm_$sum_l2
  do.call(add_row, c(base, list(method = "rs2_mmi_MRCV", statistic = st, df = df_,
                                p = pchisq(st, df_, lower.tail = FALSE), B = NA, B_used = NA,
                                seed = NA, note = "MRCV MI.test(I=1,type='rs2') = MMI.test; BLN 2000 App. A")))
  st <- S * rm_$sum_l / rm_$sum_l2; df_ <- rm_$sum_l^2 / rm_$sum_l2
  do.call(add_row, c(base, list(method = "rs2_mmi_satterthwaite", statistic = st, df = df_,
                                p = pchisq(st, df_, lower.tail = FALSE), B = NA, B_used = NA,
                                seed = NA, note = "uses estimated sum(lambda) instead of (r-1)c")))
  rsp <- rs2_spmi1(Yall[, it], g)
  st <- rsp$k * S / rsp$sum_l2; df_ <- rsp$k^2 / rsp$sum_l2
  do.call(add_row, c(base, list(method = "rs2_spmi_I1", statistic = st, df = df_,
                                p = pchisq(st, df_, lower.tail = FALSE), B = NA, B_used = NA,
                                seed = NA, note = sprintf("B&L 2004 SPMI formula, border as 1-item MRCV; sum_lambda=%.15g sum_lambda2=%.15g",
                                                          rsp$sum_l, rsp$sum_l2))))
}

## ---- (ii) MRCV-style bootstrap (expert level) ----
## As MMI.test(type = "boot"): keep the group vector fixed (fixed n_i.),
## resample whole item-response rows with replacement (independently of the
## group), recompute X2_S with MRCV's rules: a resample in which any item is
## constant (table not 2x2) is discarded (B.max = B as MRCV's default, so
## B_used = B - discarded); zero cells of valid tables get +0.5
## (add.constant = 0.5).  p = mean(S* >= S) (MRCV); (1 + #)/(B_used + 1) in note.
## MRCV adds the 0.5 to the observed tables too; the bundled sample has no empty cell, so the
## observed S below is the plain one (survey.analysis.design.mmi_test uses MRCV's S throughout).
x2_addconst <- function(A, n1, m, n, const = 0.5) {
  ## A, m: matrices (replicates x items); n1, n scalars
  a <- A; b <- n1 - A; c <- m - A; dd <- (n - n1) - (m - A)
  fix <- function(x) ifelse(x == 0, const, x)
  a <- fix(a); b <- fix(b); c <- fix(c); dd <- fix(dd)
  N <- a + b + c + dd
  N * (a * dd - b * c)^2 / ((a + b) * (c + dd) * (a + c) * (b + dd))
}
B_boot <- 9999; seed_boot <- 20240501
set.seed(seed_boot)
K1 <- matrix(0L, B_boot, n); K <- matrix(0L, B_boot, n)
pos1 <- which(g == 1)
for (b in seq_len(B_boot)) {
  idx <- sample.int(n, n, replace = TRUE)          # rows of Y paired with fixed g
  K[b, ]  <- tabulate(idx, nbins = n)
  K1[b, ] <- tabulate(idx[pos1], nbins = n)
}
A_b <- K1 %*% Yall; M_b <- K %*% Yall; n1 <- sum(g)
for (set in list(list(name = "8_items(no covid, no no_problems)", items = items8),
                 list(name = "9_items(no covid)", items = items9))) {
  it <- set$items; S <- sum(x2_obs[it])
  valid <- apply(M_b[, it, drop = FALSE], 1, function(m) all(m > 0 & m < n))
  Sb <- rowSums(x2_addconst(A_b[valid, it, drop = FALSE], n1, M_b[valid, it, drop = FALSE], n))
  ge <- sum(Sb >= S - 1e-9 * S)
  add_row(item_set = set$name, n_items = length(it), S = S, method = "bootstrap_MRCV_expert",
          statistic = S, df = NA, p = ge / sum(valid), B = B_boot, B_used = sum(valid),
          seed = seed_boot,
          note = sprintf("p=mean(S*>=S) as MRCV; discarded=%d; (1+#)/(B_used+1)=%.15g",
                         B_boot - sum(valid), (1 + ge) / (sum(valid) + 1)))
}

## ---- (iii)+(iv) cluster (unit) permutation ----
## The 77 unit-level border labels are permuted among the units; every expert
## takes the label of his/her unit, so the number of border experts varies.
## S* is recomputed with plain Pearson X2 (no +0.5; all margins are positive
## because item totals are fixed and each group has >= 1 unit with experts).
## p = (1 + #{S* >= S}) / (B + 1), B = 99999.  The same permutations are used
## for the 8-item sum, the 9-item sum and each single item.
B_perm <- 99999; seed_perm <- 20240502
units <- unique(d$unit_id)
ub <- sapply(units, function(u) unique(d$border[d$unit_id == u])); stopifnot(length(ub) == 77)
uidx <- match(d$unit_id, units)
x2_perm <- matrix(NA_real_, B_perm, length(items9), dimnames = list(NULL, items9))
mtot <- colSums(Yall)
set.seed(seed_perm)
chunk <- 10000; done <- 0
while (done < B_perm) {
  nb <- min(chunk, B_perm - done)
  Gu <- vapply(seq_len(nb), function(i) sample(ub), numeric(length(ub)))  # 77 x nb
  Ge <- Gu[uidx, , drop = FALSE]                                         # 123 x nb
  A  <- crossprod(Ge, Yall)                                              # nb x items
  x2_perm[done + seq_len(nb), ] <- x2_fast(A, colSums(Ge), mtot, n)
  done <- done + nb
}
tolp <- function(S) S - 1e-9 * abs(S)   # guard against floating ties
for (set in list(list(name = "8_items(no covid, no no_problems)", items = items8),
                 list(name = "9_items(no covid)", items = items9))) {
  it <- set$items; S <- sum(x2_obs[it]); Sp <- rowSums(x2_perm[, it, drop = FALSE])
  ge <- sum(Sp >= tolp(S))
  add_row(item_set = set$name, n_items = length(it), S = S, method = "cluster_permutation_units",
          statistic = S, df = NA, p = (1 + ge) / (B_perm + 1), B = B_perm, B_used = B_perm,
          seed = seed_perm, note = sprintf("#{S*>=S}=%d", ge))
}
for (j in items9) {
  S <- x2_obs[[j]]; ge <- sum(x2_perm[, j] >= tolp(S))
  add_row(item_set = paste0("single:", j), n_items = 1, S = S, method = "cluster_permutation_units",
          statistic = S, df = NA, p = (1 + ge) / (B_perm + 1), B = B_perm, B_used = B_perm,
          seed = seed_perm, note = sprintf("#{X2*>=X2}=%d", ge))
}
overall_df <- do.call(rbind, overall)
wcsv(overall_df, "overall.csv")

## =============================================================================
## Anchor check: Rao-Scott F for distance by border ~ F(1, 76) = 24.37, p ~ 4.6e-6
## =============================================================================
ar <- rao[rao$category == "distance" & rao$grouping == "border", ]
anchor <- data.frame(check = "distance x border Rao-Scott F",
                     F = ar$F, ndf = ar$ndf, ddf = ar$ddf, p = ar$F_p,
                     expected_F = 24.37, expected_p = 4.6e-6,
                     holds = abs(ar$F - 24.37) < 0.01 && abs(ar$ndf - 1) < 1e-9 &&
                       abs(ar$ddf - 76) < 1e-9 && abs(ar$F_p - 4.6e-6) < 0.05e-6)
print(anchor)
wcsv(anchor, "anchor_check.csv")

vers <- data.frame(component = c("R", "survey", "sandwich", "clubSandwich", "brglm2",
                                 "firth_vs_brglm2_max_abs_diff"),
                   version = c(R.version.string,
                               as.character(packageVersion("survey")),
                               as.character(packageVersion("sandwich")),
                               as.character(packageVersion("clubSandwich")),
                               if (requireNamespace("brglm2", quietly = TRUE))
                                 as.character(packageVersion("brglm2")) else NA,
                               format(firth_check, digits = 3)))
wcsv(vers, "versions.csv")
