# Reference for the analysis stage's default missing-cell policy (pairwise), computed with
# R 4.2.2 / psych 2.2.9 (Debian r-cran-psych) on ALL 2,800 rows of psych::bfi's 25 items, NAs kept:
#   Rscript bfi_pairwise.R "$GPLA_SHARED/data/psych/bfi.csv"
library(psych)
args <- commandArgs(trailingOnly = TRUE)
bfi <- read.csv(args[1], row.names = 1)
items <- bfi[, 1:25]
# principal() correlates raw data with use = "pairwise" (its default).
pc <- principal(items, nfactors = 5, rotate = "varimax")
write.csv(round(unclass(pc$loadings), 8), "bfi_principal_varimax_pairwise_loadings.csv")
# alpha() covaries with use = "pairwise" (its default); reverse-keyed items as in bfi_alpha.csv.
keys <- list(A = c("-A1", "A2", "A3", "A4", "A5"), C = c("C1", "C2", "C3", "-C4", "-C5"),
             E = c("-E1", "-E2", "E3", "E4", "E5"), N = c("N1", "N2", "N3", "N4", "N5"),
             O = c("O1", "-O2", "O3", "O4", "-O5"))
rows <- lapply(names(keys), function(scale) {
  k <- keys[[scale]]
  cols <- sub("^-", "", k)
  a <- alpha(items[, cols], keys = cols[startsWith(k, "-")])
  data.frame(scale = scale, raw_alpha = a$total$raw_alpha, std_alpha = a$total$std.alpha)
})
write.csv(do.call(rbind, rows), "bfi_alpha_pairwise.csv", row.names = FALSE)
writeLines(as.character(sum(is.na(items))), "bfi_missing_cells.txt")
