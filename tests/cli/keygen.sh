#!/bin/sh
# `pbvote keygen`: creating, checking and exporting key files; wrong passphrases, tampered and
# badly protected files are refused.  Usage: keygen.sh PBVOTE
set -u
pbvote=${1:?usage: keygen.sh PBVOTE}
case $pbvote in /*) ;; *) pbvote=$(pwd)/$pbvote ;; esac
[ -x "$pbvote" ] || { echo "not executable: $pbvote"; exit 1; }
. "$(dirname "$0")/lib.sh"
in_tmpdir keygen
unset PBVOTE_PASSPHRASE
pass='correct horse battery staple'
printf '%s\n' "$pass" > pass
printf 'not the passphrase\n' > wrong

# A copy of e.key changed by a sed script, mode 0600.
tampered() { sed -E "$1" e.key > t.key; chmod 600 t.key; cmp -s e.key t.key && echo "# sed changed nothing: $1"; }
# e.key changed by the sed -E script $1 fails its check with status 3 ($2: what was changed)
tamper_fails() {
        tampered "$1"
        expect 3 "$2" "$pbvote" keygen --check t.key --passphrase-file pass
}

# --- an encrypted engine key ------------------------------------------------------------------
expect 0 "create an engine key" "$pbvote" keygen --role engine --out e.key --kdf interactive --passphrase-file pass
has out "public key: pbvote-engine+" "prints the public key"
[ "$(stat -c %a e.key)" = 600 ] && ok "key file is mode 0600" || not_ok "key file is mode 0600"
[ "$(head -n 1 e.key)" = "pbvote-secret-key/v1" ] && ok "format line" || not_ok "format line"
has e.key "kdf: argon2id13 ops=2 mem=67108864" "interactive Argon2id limits recorded"
grep -qE '^pbvote-engine\+[0-9a-f]{8}\+A[A-Za-z0-9+/]{43}$' e.key.pub && ok ".pub holds a verifier key" \
        || not_ok ".pub holds a verifier key"
hasnt out "$pass" "passphrase not echoed"
hasnt err "$pass" "passphrase not echoed on stderr"

expect 0 "--public needs no passphrase" "$pbvote" keygen --public e.key
cmp -s out e.key.pub && ok "--public prints the .pub line" || not_ok "--public prints the .pub line"
expect 0 "--check with the passphrase" "$pbvote" keygen --check e.key --passphrase-file pass
has out "ok: engine key, encrypted" "--check reports the role"
expect 3 "wrong passphrase fails" "$pbvote" keygen --check e.key --passphrase-file wrong
has err "wrong passphrase, or the key file was altered" "wrong passphrase says why"
hasnt err "not the passphrase" "a wrong passphrase is not echoed"
PBVOTE_PASSPHRASE=$pass expect 0 "PBVOTE_PASSPHRASE works" "$pbvote" keygen --check e.key
PBVOTE_PASSPHRASE=nope expect 3 "wrong PBVOTE_PASSPHRASE fails" "$pbvote" keygen --check e.key

# --- tampering: every kind of change fails ----------------------------------------------------
tamper_fails 's/^(sealed-seed: )A/\1B/; t; s/^(sealed-seed: )./\1A/' "tampered sealed seed fails"
tamper_fails 's/^role: engine$/role: office/' "role changed to office fails"
tamper_fails 's/^kdf: argon2id13 ops=2 /kdf: argon2id13 ops=1 /' "weakened KDF limits fail"
tamper_fails 's/^(salt: )A/\1B/; t; s/^(salt: )./\1A/' "changed salt fails"
tamper_fails 's/^(nonce: )A/\1B/; t; s/^(nonce: )./\1A/' "changed nonce fails"
tamper_fails 's/^public: pbvote-engine\+/public: pbvote-engino+/' "renamed key fails"
head -c 200 e.key > t.key; chmod 600 t.key
expect 3 "truncated file fails" "$pbvote" keygen --check t.key --passphrase-file pass
{ cat e.key; echo extra; } > t.key; chmod 600 t.key
expect 3 "appended line fails" "$pbvote" keygen --check t.key --passphrase-file pass
expect 3 "tampered file: --public refuses it too" "$pbvote" keygen --public t.key

# --- files ---------------------------------------------------------------------------------------
cp -p e.key before
expect 3 "never overwrites a key file" "$pbvote" keygen --role engine --out e.key --kdf interactive --passphrase-file pass
has err "never overwritten" "says why it refused"
cmp -s e.key before && ok "existing key untouched" || not_ok "existing key untouched"
chmod 640 e.key
expect 3 "group-readable key refused" "$pbvote" keygen --check e.key --passphrase-file pass
has err "chmod 600" "says how to fix permissions"
chmod 600 e.key
ln -s e.key link.key
expect 3 "symbolic link refused" "$pbvote" keygen --check link.key --passphrase-file pass
expect 3 "missing file" "$pbvote" keygen --check nothing.key --passphrase-file pass

# --- the unencrypted variant -------------------------------------------------------------------
expect 0 "--no-passphrase creates a key" "$pbvote" keygen --role office --out o.key --no-passphrase
has err "WARNING" "--no-passphrase warns on stderr"
has err "UNENCRYPTED" "the warning says unencrypted"
has o.key "kdf: none" "the file says kdf none"
has o.key "warning: UNENCRYPTED" "the file carries the warning"
seed=$(sed -n 's/^seed: //p' o.key)
hasnt out "$seed" "the seed is not printed"
hasnt err "$seed" "the seed is not printed on stderr"
expect 0 "unencrypted key checks without a passphrase" "$pbvote" keygen --check o.key
has out "ok: office key, NOT encrypted" "--check says not encrypted"
expect 3 "--no-passphrase over an existing key refuses" "$pbvote" keygen --role office --out o.key --no-passphrase
has err "never overwritten" "says why it refused"
hasnt err "WARNING" "and warns of no key it did not write"
sed 's/^role: office$/role: engine/' o.key > t.key; chmod 600 t.key
expect 3 "tampered unencrypted key fails" "$pbvote" keygen --check t.key
sed -E 's/^(seed: )A/\1B/; t; s/^(seed: )./\1A/' o.key > t.key; chmod 600 t.key
expect 3 "changed unencrypted seed fails" "$pbvote" keygen --check t.key

# --- names, defaults, usage --------------------------------------------------------------------
expect 0 "named key with default (moderate) limits" "$pbvote" keygen --role office --out n.key \
        --name pb.city.example/office --passphrase-file pass
has n.key "kdf: argon2id13 ops=3 mem=268435456" "moderate is the default"
has n.key.pub "pb.city.example/office+" "the name is in the verifier key"
printf 'short\n' > short
expect 2 "short passphrase refused for a new key" "$pbvote" keygen --role engine --out s.key --passphrase-file short
[ -e s.key ] && not_ok "no file after a refusal" || ok "no file after a refusal"
expect 2 "missing --role" "$pbvote" keygen --out x.key --passphrase-file pass
expect 2 "unknown role" "$pbvote" keygen --role witness --out x.key --passphrase-file pass
has err "--role 'witness': expected one of: engine, office" "the refusal lists the roles"
expect 2 "unknown --kdf" "$pbvote" keygen --role engine --out x.key --kdf fast --passphrase-file pass
expect 2 "bad --name" "$pbvote" keygen --role engine --out x.key --name 'a b' --passphrase-file pass
expect 2 "--no-passphrase with --passphrase-file" "$pbvote" keygen --role engine --out x.key --no-passphrase \
        --passphrase-file pass
expect 2 "unknown option" "$pbvote" keygen --role engine --out x.key --frobnicate
has err "unknown option '--frobnicate'" "the refusal names the option"
expect 2 "an option given twice" "$pbvote" keygen --role engine --role office --out x.key --no-passphrase
has err "--role given twice" "the refusal says so"
# issue 11: "cannot create key file" said nothing of why
expect 3 "a key file in a folder that does not exist" "$pbvote" keygen --role engine --out missing/dir/k.key \
        --no-passphrase
has err "missing/dir/k.key: cannot create key file: no such folder" "the refusal names the file and says why"
check "nothing made for the refusal" [ ! -e missing ]
expect 0 "--name=VALUE and options after the others" "$pbvote" keygen --out=eq.key --no-passphrase --role=office \
        --name=pb.test/eq
has eq.key.pub "pb.test/eq+" "the name given as --name=VALUE"
expect 0 "--help" "$pbvote" keygen --help
if command -v setsid >/dev/null 2>&1; then
        setsid "$pbvote" keygen --role engine --out x.key </dev/null >out 2>err
        [ $? = 2 ] && ok "no passphrase source and no terminal: usage error" || not_ok "no terminal: usage error"
        has err "PBVOTE_PASSPHRASE" "says where a passphrase can come from"
fi
[ -e x.key ] && not_ok "no x.key after refusals" || ok "no x.key after refusals"

finish
