#!/usr/bin/env Rscript
## extra_reference.R -- additional R reference values for test_design.py.
## Run from tests/reference:  Rscript extra_reference.R
## Reads sample_codes.csv (read only); writes extra_out/*.csv
## Same software as reference.R (R 4.2.2, survey 4.1.1, sandwich 3.0.2,
## clubSandwich 0.5.8).  15 significant digits.
##
## 1. models_tight.csv: the models of reference.R, but with glm
##    iterated to full convergence (glm.control(epsilon = 1e-14, maxit = 100)).
##    R's default (epsilon = 1e-8) stops IRLS early and summary.glm /
##    sandwich::bread use the working weights of the iteration before the last,
##    which moves SEs by up to ~1e-4 relative for sparse outcomes.  Even with
##    a tiny epsilon the last IRLS step is ~sqrt(epsilon), so the model is
##    refitted once more *starting from the converged coefficients*: its
##    single iteration then evaluates every weight at the MLE.  These values
##    are what a fully converged fit (design.py's default) must give.
## 2. logit_ci_tight.csv: svyciprop(method = "logit") intervals recomputed with
##    the intercept-only svyglm converged to epsilon = 1e-14 (same reason).
## 3. rs_extra.csv: Rao-Scott F tests for situations not in out/:
##    a 3-level grouping built from macro_region, a weighted 4-group test,
##    and a synthetic data set with a group held by a single cluster (R still
##    returns numbers; design.py returns NaN + reason by design).
## 4. rng_draws.csv: R's first draws after set.seed(20240502) -- three
##    sample.int(77) permutations -- and after set.seed(20240501) -- two
##    sample.int(123, 123, replace = TRUE) -- as in reference.R, to check
##    design.py's RCompatRNG draw for draw.
options(digits = 15, warn = 1)
suppressPackageStartupMessages({ library(survey); library(sandwich); library(clubSandwich) })
dir.create("extra_out", showWarnings = FALSE)
wcsv <- function(x, f) write.csv(x, file.path("extra_out", f), row.names = FALSE, na = "NA")

d <- read.csv("sample_codes.csv", stringsAsFactors = FALSE)
cats <- c("distance", "language", "funding", "mentality", "covid", "legal",
          "interest", "bureaucracy", "economy", "no_problems")
d$region <- as.integer(d$kind == "region")
d$w_unit <- 1 / ave(rep(1, nrow(d)), d$unit_id, FUN = sum)
des   <- suppressWarnings(svydesign(ids = ~unit_id, data = d))
des_u <- svydesign(ids = ~unit_id, weights = ~w_unit, data = d)
tight <- glm.control(epsilon = 1e-14, maxit = 100)

## ---- 1. tightly converged models ----
rows <- list(); jrows <- list()
for (cc in setdiff(cats, "covid")) {
  f <- as.formula(paste(cc, "~ border + region + log10(distance_km)"))
  fit0 <- glm(f, family = binomial, data = d, control = tight)
  fit <- glm(f, family = binomial, data = d, control = tight, start = coef(fit0))
  V1 <- vcovCL(fit, cluster = ~unit_id, type = "HC1"); se1 <- sqrt(diag(V1))
  ct <- coef_test(fit, vcov = "CR2", cluster = d$unit_id, test = "Satterthwaite")
  sg <- svyglm(f, design = des, family = quasibinomial(), control = tight, start = coef(fit0))
  sgc <- summary(sg)$coefficients
  rows[[cc]] <- data.frame(category = cc, term = names(coef(fit)),
    glm_coef = unname(coef(fit)), glm_se = unname(sqrt(diag(vcov(fit)))),
    glm_p = unname(summary(fit)$coefficients[, 4]),
    cr1_se = unname(se1), cr1_p = unname(2 * pnorm(-abs(coef(fit) / se1))),
    cr2_se = ct$SE, cr2_t = ct$tstat, cr2_df = ct$df_Satt, cr2_p = ct$p_Satt,
    svyglm_se = unname(sgc[, 2]), svyglm_p = unname(sgc[, 4]))
  wt <- Wald_test(fit, constraints = constrain_zero(c("border", "log10(distance_km)")),
                  vcov = "CR2", cluster = d$unit_id, test = "HTZ")
  ## a 3-term joint test as well (q = 3)
  wt3 <- Wald_test(fit, constraints = constrain_zero(c("border", "region", "log10(distance_km)")),
                   vcov = "CR2", cluster = d$unit_id, test = "HTZ")
  jrows[[cc]] <- data.frame(category = cc, terms = c("border+log10", "border+region+log10"),
    Fstat = c(wt$Fstat, wt3$Fstat), df_num = c(wt$df_num, wt3$df_num),
    df_denom = c(wt$df_denom, wt3$df_denom), p = c(wt$p_val, wt3$p_val))
}
wcsv(do.call(rbind, rows), "models_tight.csv")
wcsv(do.call(rbind, jrows), "joint_tight.csv")

## ---- 2. logit CIs with a converged intercept-only svyglm ----
lrows <- list()
for (cc in setdiff(cats, "covid")) for (wt in c("expert", "unit_equal")) for (g in c(1, 0)) {
  dd <- if (wt == "expert") des else des_u
  sub <- subset(dd, border == g)
  m0 <- svyglm(as.formula(paste(cc, "~ 1")), sub, family = quasibinomial, control = tight)
  m <- svyglm(as.formula(paste(cc, "~ 1")), sub, family = quasibinomial, control = tight,
              start = coef(m0))
  ci <- plogis(as.numeric(confint(m, 1, ddf = degf(sub))))
  lrows[[length(lrows) + 1]] <- data.frame(category = cc, weighting = wt, border = g,
                                           logit_low = ci[1], logit_high = ci[2])
}
wcsv(do.call(rbind, lrows), "logit_ci_tight.csv")

## ---- 3. extra Rao-Scott cases ----
d$region3 <- ifelse(d$macro_region %in% c("siberia", "far_east"), "east", d$macro_region)
des <- suppressWarnings(svydesign(ids = ~unit_id, data = d))
des_u <- svydesign(ids = ~unit_id, weights = ~w_unit, data = d)
rs <- function(cc, gg, design, label) {
  r <- svychisq(as.formula(paste0("~", cc, "+", gg)), design, statistic = "F")
  data.frame(case = label, category = cc, grouping = gg, F = unname(r$statistic),
             ndf = unname(r$parameter[1]), ddf = unname(r$parameter[2]), p = r$p.value)
}
xr <- list()
for (cc in c("distance", "legal", "no_problems")) {
  xr[[length(xr) + 1]] <- rs(cc, "region3", des, "unweighted_region3")
  xr[[length(xr) + 1]] <- rs(cc, "macro_region", des_u, "unit_equal_macro_region")
}
## synthetic: 10 clusters, group "b" only in one cluster
syn <- data.frame(cl = rep(1:10, each = 3), y = c(1,0,1, 0,0,1, 1,1,0, 0,1,0, 1,0,0,
                                                   0,0,0, 1,1,1, 0,1,1, 1,0,1, 0,1,0),
                  g = c(rep("a", 27), rep("b", 3)))
ds <- svydesign(ids = ~cl, data = syn)
xr[[length(xr) + 1]] <- rs("y", "g", ds, "synthetic_single_cluster_group")
print(unique(table(syn$cl)))
wcsv(do.call(rbind, xr), "rs_extra.csv")
wcsv(syn, "synthetic_single_cluster.csv")
## ---- 4. RNG draws ----
set.seed(20240502); p <- c(sample.int(77), sample.int(77), sample.int(77))
set.seed(20240501); b <- c(sample.int(123, 123, replace = TRUE), sample.int(123, 123, replace = TRUE))
wcsv(rbind(data.frame(what = "perm77_seed20240502", draw = seq_along(p), value = p),
           data.frame(what = "boot123_seed20240501", draw = seq_along(b), value = b)), "rng_draws.csv")
cat("done\n")
