//! `importer/release.sh` (behind `make release`) without the two slow cross builds: its packing,
//! checks and checksums run on stand-in binaries (`RELEASE_SKIP_BUILD=1`). The stand-ins are the
//! smallest static ELF executables there are, written byte by byte below, for x86-64 and AArch64,
//! each printing a version line (the AArch64 one runs where qemu-user is installed, as the script
//! runs it then). The real binary prints the
//! completions and the man page, as in a real release. The real builds are measured in
//! BENCHMARKS.md.

use std::{
    os::unix::fs::PermissionsExt as _,
    path::{Path, PathBuf},
    process::{Command, Output},
};

const SCRIPT: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/release.sh");
const BIN: &str = env!("CARGO_BIN_EXE_cognito-to-descope");
const VERSION: &str = env!("CARGO_PKG_VERSION");
const TARGETS: [&str; 2] = ["x86_64-unknown-linux-musl", "aarch64-unknown-linux-musl"];

/// A static ELF64 executable: one loadable segment, no interpreter, no dynamic section. It writes
/// `message` to stdout and exits 0 (the write and exit system calls), whatever its arguments.
fn static_elf(machine: u16, message: &[u8]) -> Vec<u8> {
    const BASE: u64 = 0x40_0000;
    const HEADERS: u64 = 64 + 56;
    let len = u32::try_from(message.len()).unwrap();
    let mut code: Vec<u8> = Vec::new();
    if machine == X86_64 {
        code.extend([0xb8, 1, 0, 0, 0]); // mov eax, 1 (write)
        code.extend([0xbf, 1, 0, 0, 0]); // mov edi, 1 (stdout)
        code.extend([0x48, 0x8d, 0x35, 16, 0, 0, 0]); // lea rsi, [rip + 16]: the message after the code
        code.push(0xba); // mov edx, len
        code.extend(len.to_le_bytes());
        code.extend([0x0f, 0x05]); // syscall
        code.extend([0xb8, 60, 0, 0, 0]); // mov eax, 60 (exit)
        code.extend([0x31, 0xff]); // xor edi, edi
        code.extend([0x0f, 0x05]); // syscall
    } else {
        // AArch64, run only where qemu-user is installed.
        for instruction in [
            0xd280_0020u32,           // mov x0, #1 (stdout)
            0x1000_00e1,              // adr x1, #28: the message after the code
            0xd280_0002 | (len << 5), // mov x2, #len
            0xd280_0808,              // mov x8, #64 (write)
            0xd400_0001,              // svc #0
            0xd280_0000,              // mov x0, #0
            0xd280_0ba8,              // mov x8, #93 (exit)
            0xd400_0001,              // svc #0
        ] {
            code.extend(instruction.to_le_bytes());
        }
    }
    code.extend(message);
    let size = HEADERS + code.len() as u64;

    let mut elf: Vec<u8> = vec![0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    elf.extend(2u16.to_le_bytes()); // ET_EXEC
    elf.extend(machine.to_le_bytes());
    elf.extend(1u32.to_le_bytes());
    elf.extend((BASE + HEADERS).to_le_bytes()); // entry: the code right after the headers
    elf.extend(64u64.to_le_bytes()); // program headers right after this header
    elf.extend(0u64.to_le_bytes()); // no section headers
    elf.extend(0u32.to_le_bytes());
    for half in [64u16, 56, 1, 64, 0, 0] {
        elf.extend(half.to_le_bytes());
    }
    elf.extend(1u32.to_le_bytes()); // PT_LOAD
    elf.extend(5u32.to_le_bytes()); // read + execute
    elf.extend(0u64.to_le_bytes());
    elf.extend(BASE.to_le_bytes());
    elf.extend(BASE.to_le_bytes());
    elf.extend(size.to_le_bytes());
    elf.extend(size.to_le_bytes());
    elf.extend(0x1000u64.to_le_bytes());
    elf.extend(code);
    elf
}

const X86_64: u16 = 0x3e;
const AARCH64: u16 = 0xb7;

/// A target directory with one binary per release target, as cargo-zigbuild leaves them.
fn target_dir(root: &Path, x86_64: &[u8]) -> PathBuf {
    let dir = root.join("target");
    let aarch64 = static_elf(AARCH64, format!("cognito-to-descope {VERSION}\n").as_bytes());
    for (target, bytes) in TARGETS.iter().zip([x86_64.to_vec(), aarch64]) {
        let release = dir.join(target).join("release");
        std::fs::create_dir_all(&release).unwrap();
        let path = release.join("cognito-to-descope");
        std::fs::write(&path, bytes).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    dir
}

fn release(target: &Path, out: &Path) -> Output {
    Command::new("bash")
        .arg(SCRIPT)
        .env("RELEASE_SKIP_BUILD", "1")
        .env("CARGO_TARGET_DIR", target)
        .env("RELEASE_OUT_DIR", out)
        .env("RELEASE_GENERATOR", BIN)
        .output()
        .unwrap()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn release_script_packs_static_binaries_with_docs_and_checksums() {
    let root = tempfile::tempdir().unwrap();
    let x86_64 = static_elf(X86_64, format!("cognito-to-descope {VERSION}\n").as_bytes());
    let target = target_dir(root.path(), &x86_64);
    let out = root.path().join("artifacts");
    let run = release(&target, &out);
    assert!(run.status.success(), "{}", stderr(&run));

    let mut files: Vec<String> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let mut expected = vec!["SHA256SUMS".to_owned()];
    for target in TARGETS {
        expected.push(format!("cognito-to-descope-{VERSION}-{target}"));
        expected.push(format!("cognito-to-descope-{VERSION}-{target}.tar.gz"));
    }
    expected.sort();
    assert_eq!(files, expected);
    // The bare binary is the built one, byte for byte.
    assert_eq!(
        std::fs::read(out.join(format!("cognito-to-descope-{VERSION}-x86_64-unknown-linux-musl"))).unwrap(),
        x86_64
    );

    // SHA256SUMS lists the four files and sha256sum accepts it; a changed byte is caught.
    let sums = std::fs::read_to_string(out.join("SHA256SUMS")).unwrap();
    assert_eq!(sums.lines().count(), 4, "{sums}");
    let check = |dir: &Path| {
        Command::new("sha256sum")
            .args(["-c", "SHA256SUMS"])
            .current_dir(dir)
            .output()
            .unwrap()
    };
    assert!(check(&out).status.success());
    let tampered = out.join(format!("cognito-to-descope-{VERSION}-aarch64-unknown-linux-musl"));
    let mut bytes = std::fs::read(&tampered).unwrap();
    bytes[100] ^= 1;
    std::fs::write(&tampered, bytes).unwrap();
    assert!(!check(&out).status.success());

    // Each archive: one folder named like it, with the binary, the license, the docs, completions
    // for five shells and the man page, generated by the real binary.
    for target in TARGETS {
        let name = format!("cognito-to-descope-{VERSION}-{target}");
        let listing = Command::new("tar")
            .arg("tzf")
            .arg(out.join(format!("{name}.tar.gz")))
            .output()
            .unwrap();
        let listing = String::from_utf8(listing.stdout).unwrap();
        for entry in [
            "cognito-to-descope",
            "LICENSE",
            "README.md",
            "IMPORTER.md",
            "completions/cognito-to-descope.bash",
            "completions/_cognito-to-descope",
            "completions/cognito-to-descope.fish",
            "completions/_cognito-to-descope.ps1",
            "completions/cognito-to-descope.elv",
            "man/cognito-to-descope.1",
        ] {
            assert!(
                listing.lines().any(|l| l == format!("{name}/{entry}")),
                "{name} lacks {entry}:\n{listing}"
            );
        }
        let unpacked = root.path().join(format!("unpacked-{target}"));
        std::fs::create_dir_all(&unpacked).unwrap();
        let status = Command::new("tar")
            .arg("xzf")
            .arg(out.join(format!("{name}.tar.gz")))
            .arg("-C")
            .arg(&unpacked)
            .status()
            .unwrap();
        assert!(status.success());
        let page = std::fs::read_to_string(unpacked.join(&name).join("man/cognito-to-descope.1")).unwrap();
        assert!(page.contains(".SH COMMANDS"), "{page}");
        let bash = std::fs::read_to_string(unpacked.join(&name).join("completions/cognito-to-descope.bash")).unwrap();
        assert!(bash.contains("complete -F"), "{bash}");
    }
}

#[test]
fn release_script_refuses_a_dynamic_binary_and_a_wrong_version() {
    let root = tempfile::tempdir().unwrap();
    let out = root.path().join("artifacts");

    // The test build of the importer is linked against the system's C library: refused.
    let dynamic = std::fs::read(BIN).unwrap();
    let run = release(&target_dir(root.path(), &dynamic), &out);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("dynamically linked"), "{}", stderr(&run));
    assert!(!out.join("SHA256SUMS").exists());

    // A static binary that is not this version (a stale build): refused where it can run.
    if cfg!(target_arch = "x86_64") {
        let stale = static_elf(X86_64, b"cognito-to-descope 0.0.0-stale\n");
        let run = release(&target_dir(root.path(), &stale), &out);
        assert!(!run.status.success());
        assert!(stderr(&run).contains("--version says"), "{}", stderr(&run));
        assert!(!out.join("SHA256SUMS").exists());
    }

    // Not an ELF file at all.
    let run = release(&target_dir(root.path(), b"#!/bin/sh\necho hi\n"), &out);
    assert!(!run.status.success());
    assert!(stderr(&run).contains("is not an ELF file"), "{}", stderr(&run));
}
