#!/usr/bin/env bash
# Builds the release artifacts of the importer: static Linux binaries of `cognito-to-descope` for
# x86_64 and arm64 (musl, linked by zig through cargo-zigbuild), each packed with the LICENSE, the
# READMEs, shell completions and man pages, and a SHA256SUMS file over all of them:
#
#   target/release-artifacts/cognito-to-descope-<version>-<target>        the bare binary
#   target/release-artifacts/cognito-to-descope-<version>-<target>.tar.gz binary + docs
#   target/release-artifacts/SHA256SUMS                                     `sha256sum -c SHA256SUMS`
#
#   importer/release.sh [TARGET...]   (default: x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
#
# Every binary is checked to be statically linked (no program interpreter, no dynamic section) and
# run (`--version`) when this machine can: natively, or under qemu-user if installed. cargo-zigbuild and zig come from PyPI into
# .venv-cl at the repository root (the venv `make package` uses for cargo-lambda); the Rust targets
# are added with rustup.
#
# RELEASE_SKIP_BUILD=1 packs and checks the binaries already in $CARGO_TARGET_DIR; RELEASE_OUT_DIR
# and RELEASE_GENERATOR (the binary that prints completions and the man page) override defaults.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.venv-cl"
cd "$root"
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(x86_64-unknown-linux-musl aarch64-unknown-linux-musl)
target_dir="${CARGO_TARGET_DIR:-$root/target}"
out="${RELEASE_OUT_DIR:-$root/target/release-artifacts}"
bin=cognito-to-descope

# The version is the workspace's (the importer inherits it).
version="$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)"
[ -n "$version" ] || { echo "release.sh: no version in [workspace.package] of Cargo.toml" >&2; exit 1; }

if [ "${RELEASE_SKIP_BUILD:-0}" != 1 ]; then
    # Same zig as authorizers/package.sh; installed next to cargo-lambda when the venv exists.
    if [ ! -x "$venv/bin/cargo-zigbuild" ] || [ ! -x "$venv/bin/python" ]; then
        [ -x "$venv/bin/python" ] || python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet 'cargo-zigbuild==0.24.0' 'ziglang==0.17.1'
    fi
    # cargo finds the `zigbuild` subcommand on PATH; cargo-zigbuild runs zig as `python3 -m ziglang`.
    export PATH="$venv/bin:$PATH"
    rustup target add "${targets[@]}" >/dev/null
    for target in "${targets[@]}"; do
        start=$(date +%s)
        cargo zigbuild --release --locked -p cognito-to-descope --bin "$bin" --target "$target"
        echo "$target: built in $(($(date +%s) - start)) s"
    done
fi

# One interpreter-less, dynamic-section-less ELF of the target's machine, or a clear error.
check_static() {
    local file="$1" target="$2" machine
    case "$target" in
        x86_64-*) machine="Advanced Micro Devices X86-64" ;;
        aarch64-*) machine="AArch64" ;;
        *) echo "release.sh: unknown target $target" >&2; return 1 ;;
    esac
    local header
    header="$(readelf --file-header "$file" 2>/dev/null)" || { echo "release.sh: $file is not an ELF file" >&2; return 1; }
    grep -q "Machine: *$machine" <<<"$header" || { echo "release.sh: $file is not a $machine binary" >&2; return 1; }
    if readelf --program-headers "$file" | grep -q 'INTERP'; then
        echo "release.sh: $file asks for a program interpreter: it is dynamically linked" >&2
        return 1
    fi
    if readelf --dynamic "$file" | grep -q 'NEEDED'; then
        echo "release.sh: $file needs shared libraries: it is dynamically linked" >&2
        return 1
    fi
}

mkdir -p "$out"
out="$(cd "$out" && pwd)"
# Only what an earlier run left (the folder may be one of the user's choosing).
rm -rf "$out/SHA256SUMS" "$out/$bin"-*
staged=()
for target in "${targets[@]}"; do
    built="$target_dir/$target/release/$bin"
    [ -f "$built" ] || { echo "release.sh: no binary at $built (build it first)" >&2; exit 1; }
    check_static "$built" "$target"
    name="$bin-$version-$target"
    cp "$built" "$out/$name"
    chmod 0755 "$out/$name"
    # The binary this machine can run must run, and say the version the file name claims; another
    # machine's runs too when qemu-user (Debian: qemu-user) can emulate it.
    runner=()
    arch="${target%%-*}"
    if [ "$arch" != "$(uname -m)" ]; then
        if command -v "qemu-$arch" >/dev/null; then runner=("qemu-$arch"); else runner=(skip); fi
    fi
    if [ "${runner[*]}" != skip ]; then
        reported="$("${runner[@]}" "$out/$name" --version)"
        [ "$reported" = "$bin $version" ] || { echo "release.sh: $name --version says '$reported'" >&2; exit 1; }
        echo "$name --version: $reported${runner:+ (under ${runner[*]})}"
    fi
    # Completions and man pages come from the binary itself (no settings needed); the one that runs
    # here generates them, and they are the same for every target.
    dir="$out/$name.d"
    mkdir -p "$dir/completions" "$dir/man"
    cp LICENSE README.md "$dir/"
    cp importer/README.md "$dir/IMPORTER.md"
    cp "$out/$name" "$dir/$bin"
    staged+=("$name")
    echo "$name: $(stat -c %s "$out/$name") bytes, statically linked"
done

# The generator: RELEASE_GENERATOR if set, else the native binary if one was built, else a debug
# build of this checkout.
generator="${RELEASE_GENERATOR:-}"
for target in "${targets[@]}"; do
    if [ -z "${RELEASE_GENERATOR:-}" ] && [ "$target" = "$(uname -m)-unknown-linux-musl" ]; then
        generator="$out/$bin-$version-$target"
    fi
done
if [ -z "$generator" ]; then
    cargo build --locked -q -p cognito-to-descope --bin "$bin"
    generator="$target_dir/debug/$bin"
fi
for name in "${staged[@]}"; do
    dir="$out/$name.d"
    # An empty environment: generating must not depend on any setting (nor read a .env).
    (cd "$dir" && env -i "$generator" completions bash >"completions/$bin.bash")
    (cd "$dir" && env -i "$generator" completions zsh >"completions/_$bin")
    (cd "$dir" && env -i "$generator" completions fish >"completions/$bin.fish")
    (cd "$dir" && env -i "$generator" completions powershell >"completions/_$bin.ps1")
    (cd "$dir" && env -i "$generator" completions elvish >"completions/$bin.elv")
    (cd "$dir" && env -i "$generator" man >"man/$bin.1")
    # Reproducible archives: fixed owner, order and times.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='2000-01-01 00:00Z' \
        -C "$dir" --transform "s,^\.,$name," -czf "$out/$name.tar.gz" .
    rm -rf "$dir"
done

(cd "$out" && sha256sum -- * >SHA256SUMS && sha256sum --quiet -c SHA256SUMS)
echo "Release artifacts in $out:"
(cd "$out" && ls -l)
