#!/usr/bin/env bash
# Time the steps of a make recipe and print where the time went (used by `make report`).
#
#   tools/timed.sh FILE NAME COMMAND [ARG...]
#       run COMMAND; append NAME, its wall seconds and its exit status to FILE (one
#       tab-separated line a step). If COMMAND fails, print the table so far and exit
#       with its status, so a failed recipe still says where its time went.
#   tools/timed.sh --table FILE
#       print FILE as a table (step, seconds, share of the total, status) with the
#       total, then remove FILE.
#
# Each line of a make recipe runs in its own shell, so the steps meet in FILE; the
# recipe removes FILE before its first step. The table goes to stderr: what the
# steps print on stdout is left as it was.
set -u

now() {
    # bash 5 has microseconds; older shells (macOS's bash 3.2) get whole seconds
    if [ -n "${EPOCHREALTIME:-}" ]; then
        echo "${EPOCHREALTIME/,/.}"
    else
        date +%s
    fi
}

table() {
    local file=$1
    [ -f "$file" ] || return 0
    awk -F '\t' '
        { name[NR] = $1; secs[NR] = $2; status[NR] = $3; total += $2 }
        END {
            rule = "---------------------------------------------"
            printf "\nwhere the time went\n%s\n", rule
            printf "%-14s %10s %7s  %s\n", "step", "seconds", "share", "status"
            for (i = 1; i <= NR; i++) {
                share = total > 0 ? 100 * secs[i] / total : 0
                shown = status[i] == 0 ? "ok" : "failed (" status[i] ")"
                printf "%-14s %10.1f %6.1f%%  %s\n", name[i], secs[i], share, shown
            }
            printf "%s\n%-14s %10.1f %6.1f%%\n", rule, "total", total, 100
        }' "$file" >&2
}

if [ "${1:-}" = "--table" ]; then
    [ $# -eq 2 ] || { echo "usage: $0 --table FILE" >&2; exit 2; }
    table "$2"
    rm -f "$2"
    exit 0
fi

[ $# -ge 3 ] || { echo "usage: $0 FILE NAME COMMAND [ARG...]" >&2; exit 2; }
file=$1
name=$2
shift 2
mkdir -p "$(dirname "$file")"
start=$(now)
"$@"
status=$?
end=$(now)
awk -v n="$name" -v s="$start" -v e="$end" -v c="$status" \
    'BEGIN { printf "%s\t%.3f\t%d\n", n, e - s, c }' >>"$file"
if [ "$status" -ne 0 ]; then
    table "$file"
    rm -f "$file"
fi
exit "$status"
