#!/bin/bash
# Tables of a scripts/denoise-eval.sh run (its OUT folder): per rate, the mean
# SI-SDR improvement and STOI by SNR and by noise category, DNSMOS P.835 of
# every method and of the noisy and clean items, and clean speech through
# gandenoise.
#   scripts/denoise-eval-table.sh OUT [METHODS]
set -eu
out=${1:?usage: denoise-eval-table.sh OUT [METHODS]}
methods=${2:-gandenoise webrtcdsp rnnoise}
awk -F'\t' -v methods="$methods" -v dnf="$out/dnsmos.tsv" '
  FNR == 1 { next }               # header
  $3 == "clean" { cs[$1] += $6; cn[$1]++; if (!($1 in cmin) || $6 < cmin[$1]) cmin[$1] = $6; next }
  {
    r = $1; m = $5; d = $6 - $7
    si[r, $3, m] += d; nsi[r, $3, m]++
    st[r, $3, m] += $8
    if (m == first) { st0[r, $3] += $9; n0[r, $3]++ }
    sc[r, $4, m] += d; nsc[r, $4, m]++
    if (!((r, $4) in seen)) { seen[r, $4] = 1; cats[r] = cats[r] " " $4 }
    tot[r, m] += d; ntot[r, m]++; tst[r, m] += $8
    if (m == first) { tst0[r] += $9; ntst0[r]++ }
  }
  BEGIN {
    nm = split(methods, M, " "); first = M[1]
    while ((getline line < dnf) > 0) {    # dnsmos.tsv: path sig bak ovrl p808
      split(line, v, "\t"); n = split(v[1], p, "/"); f = p[n]; r = p[n - 1]
      if (f ~ /\.noisy\.wav$/) m = "noisy"
      else if (f ~ /\.clean\.wav$/) m = "clean"
      else { m = f; sub(/\.wav$/, "", m); sub(/^.*\./, "", m) }
      S[r, m] += v[2]; B[r, m] += v[3]; O[r, m] += v[4]; D[r, m]++
    }
  }
  END {
    for (ri = 1; ri <= 2; ri++) {
      r = ri == 1 ? "48k" : "16k"
      if (!((r, M[1]) in ntot)) continue
      printf "\n== %s: SI-SDR improvement (dB) | STOI\n%8s", r, "SNR"
      for (i = 1; i <= nm; i++) printf " %11s", M[i]
      printf " | %6s", "noisy"
      for (i = 1; i <= nm; i++) printf " %11s", M[i]
      printf "\n"
      for (s = -5; s <= 15; s += 5) {
        printf "%8s", s
        for (i = 1; i <= nm; i++) printf " %11.2f", si[r, s, M[i]] / nsi[r, s, M[i]]
        printf " | %6.3f", st0[r, s] / n0[r, s]
        for (i = 1; i <= nm; i++) printf " %11.3f", st[r, s, M[i]] / nsi[r, s, M[i]]
        printf "\n"
      }
      printf "%8s", "mean"
      for (i = 1; i <= nm; i++) printf " %11.2f", tot[r, M[i]] / ntot[r, M[i]]
      printf " | %6.3f", tst0[r] / ntst0[r]
      for (i = 1; i <= nm; i++) printf " %11.3f", tst[r, M[i]] / ntot[r, M[i]]
      printf "   (%d items per method)\n", ntot[r, M[1]]
      printf "\n%s: SI-SDR improvement (dB) by noise category\n%14s", r, "category"
      for (i = 1; i <= nm; i++) printf " %11s", M[i]
      printf "\n"
      nc = split(cats[r], C, " ")
      for (k = 1; k <= nc; k++) {
        printf "%14s", C[k]
        for (i = 1; i <= nm; i++) printf " %11.2f", sc[r, C[k], M[i]] / nsc[r, C[k], M[i]]
        printf "\n"
      }
      if ((r, "noisy") in D) {
        printf "\n%s: DNSMOS P.835 (SIG / BAK / OVRL)\n", r
        split("noisy " methods " clean", A, " ")
        for (i = 1; i in A; i++)
          if ((r, A[i]) in D)
            printf "%14s %5.2f %5.2f %5.2f   (%d clips)\n", A[i], S[r, A[i]] / D[r, A[i]],
                B[r, A[i]] / D[r, A[i]], O[r, A[i]] / D[r, A[i]], D[r, A[i]]
      }
      if (r in cn)
        printf "\n%s: clean speech through gandenoise: SI-SDR mean %.2f dB, lowest %.2f dB (%d items)\n",
            r, cs[r] / cn[r], cmin[r], cn[r]
    }
  }' "$out/results.tsv"
