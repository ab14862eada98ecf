#!/usr/bin/env bash
# `npm test`: set-up on a fresh machine, build, typecheck, every unit and integration test, then a scan of the whole
# test output for private key material and the passphrases the tests use (nothing secret may ever be printed).
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/setup.sh || exit 1
npm run build || exit 1
npm run typecheck || exit 1

mkdir -p .tmp
log=.tmp/test-output.log
node --test --test-concurrency=2 --test-timeout=300000 'test/unit/**/*.test.ts' 'test/integration/**/*.test.ts' 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# Secrets the tests handle: PEM private key blocks and the fixture/test passphrases.
leaks=$(grep -nE 'BEGIN (EC |ENCRYPTED |RSA |ED25519 )?PRIVATE KEY|rootpass123|targetspass123|snappass123|delegpass123|dockerroot123|dockerrepo123' "$log" \
  | grep -v '^[0-9]*:# Subtest' | head -5)
summary=$(tail -n 9 "$log")
if [ -n "$leaks" ]; then
  echo "scan: private key material or a passphrase appeared in the test output:"
  echo "$leaks" | cut -c1-160
  status=1
else
  echo "scan: no private key material or passphrase in $(wc -l < "$log") lines of test output"
fi
echo "$summary"
exit "$status"
