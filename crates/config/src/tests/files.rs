//! Reading files: `parse_file`, `lxc.include` (files, directories, depth, cycles), the fstab
//! through `Config::mounts`, and hostile files (FIFOs, devices, huge files) anywhere.

use super::*;

#[test]
fn parse_file_reads_and_names_the_file() {
    let dir = TempDir::new("parse-file");
    let path = dir.write("a.conf", "lxc.utsname = fromfile\nlxc.bogus = 1\n");
    let err = parse_file(&path).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!("{}:2: lxc.bogus: unknown key", path.display())
    );
    let missing = dir.path().join("missing.conf");
    let err = parse_file(&missing).unwrap_err();
    assert_eq!((err.line, err.key.as_deref()), (0, None));
    assert_eq!(
        err.to_string(),
        format!("{}: No such file or directory", missing.display())
    );
}

#[test]
fn parse_file_accepts_a_good_file() {
    let dir = TempDir::new("good-file");
    let path = dir.write("spec.conf", SPEC_EXAMPLE);
    let config = parse_file(&path).unwrap();
    assert_eq!(config.settings.utsname.as_deref(), Some("virtnode"));
    assert_eq!(config.entries[0].source, path.display().to_string());
    // The spec's `lxc.mount = ./fstab` is the fstab next to the config.
    let fstab = config.settings.fstab.unwrap();
    assert_eq!(fstab.path, dir.path().join("fstab"));
    assert_eq!(fstab.written, "./fstab");
    assert_eq!(fstab.origin, at(&path.display().to_string(), 2));
    // The same text given as already read, as lxc-create does.
    let again = parse_file_text(SPEC_EXAMPLE, &path).unwrap();
    assert_eq!(again.settings.fstab.unwrap().path, dir.path().join("fstab"));
}

#[test]
fn includes_read_files_and_directories_in_place() {
    let dir = TempDir::new("include");
    dir.write(
        "common.conf",
        "lxc.uts.name = common\nlxc.mount.entry = proc proc proc defaults\n",
    );
    dir.write("conf.d/20-net.conf", "lxc.net.0.link = br0\n");
    dir.write("conf.d/10-net.conf", "lxc.net.0.type = veth\n");
    dir.write("conf.d/notes.txt", "this is not read\n");
    let top = dir.write(
        "top.conf",
        "lxc.include = common.conf\nlxc.uts.name = \"top\"\nlxc.include = ./conf.d\n\
         lxc.mount.fstab = fstab\n",
    );
    let config = parse_file(&top).unwrap();
    let s = &config.settings;
    assert_eq!(
        s.utsname.as_deref(),
        Some("top"),
        "later lines win over included ones"
    );
    assert_eq!(s.networks[0].link.as_deref(), Some("br0"));
    let common = dir.path().join("common.conf").display().to_string();
    assert_eq!(s.mount_entries[0].origin, at(&common, 2));
    let d = dir.path().join("conf.d");
    let got: Vec<(String, usize, &str)> = config
        .entries
        .iter()
        .map(|e| (e.source.clone(), e.line, e.key.as_str()))
        .collect();
    let top = top.display().to_string();
    let in_d = |name: &str| d.join(name).display().to_string();
    assert_eq!(
        got,
        [
            (top.clone(), 1, "lxc.include"),
            (common.clone(), 1, "lxc.uts.name"),
            (common, 2, "lxc.mount.entry"),
            (top.clone(), 2, "lxc.uts.name"),
            (top.clone(), 3, "lxc.include"),
            (in_d("10-net.conf"), 1, "lxc.net.0.type"),
            (in_d("20-net.conf"), 1, "lxc.net.0.link"),
            (top, 4, "lxc.mount.fstab"),
        ]
    );
    assert_eq!(s.fstab.as_ref().unwrap().path, dir.path().join("fstab"));
    assert!(config.check_supported().is_ok());
}

#[test]
fn errors_inside_an_included_file_name_that_file() {
    let dir = TempDir::new("include-error");
    let inner = dir.write("inner.conf", "# fine\nlxc.uts.name = -bad\n");
    let top = dir.write("top.conf", &format!("lxc.include = {}\n", inner.display()));
    let err = parse_file(&top).unwrap_err();
    assert_eq!(err.source, inner.display().to_string());
    assert_eq!((err.line, err.key.as_deref()), (2, Some("lxc.uts.name")));
    let top = dir.write("missing.conf", "\nlxc.include = nowhere.conf\n");
    let err = parse_file(&top).unwrap_err();
    assert_eq!(
        err.to_string(),
        format!(
            "{}:2: lxc.include: {}: No such file or directory",
            top.display(),
            dir.path().join("nowhere.conf").display()
        )
    );
}

#[test]
fn include_cycles_and_depth_are_errors() {
    let dir = TempDir::new("include-cycle");
    dir.write("a.conf", "lxc.include = b.conf\n");
    let b = dir.write("b.conf", "lxc.uts.name = b\nlxc.include = a.conf\n");
    let err = parse_file(&dir.path().join("a.conf")).unwrap_err();
    assert_eq!((err.source.as_str(), err.line), (b.to_str().unwrap(), 2));
    assert!(err.message.starts_with("include cycle: "), "{err}");
    assert!(err.message.ends_with("/a.conf"), "{err}");
    let err = parse_file(&dir.write("self.conf", "lxc.include = .\n")).unwrap_err();
    assert!(err.message.starts_with("include cycle: "), "{err}");

    let depth = MAX_INCLUDE_DEPTH;
    for n in 0..=depth + 1 {
        dir.write(
            &format!("d{n}.conf"),
            &format!("lxc.include = d{}.conf\n", n + 1),
        );
    }
    dir.write(&format!("d{}.conf", depth + 2), "lxc.uts.name = deep\n");
    let err = parse_file(&dir.path().join("d0.conf")).unwrap_err();
    assert_eq!(
        err.message,
        format!("includes nested deeper than {depth} levels")
    );
    let ok = parse_file(&dir.path().join("d2.conf")).unwrap();
    assert_eq!(
        ok.settings.utsname.as_deref(),
        Some("deep"),
        "{depth} levels are fine"
    );
    // The same file twice, not nested, is no cycle.
    let twice = dir.write(
        "twice.conf",
        "lxc.include = b0.conf\nlxc.include = b0.conf\n",
    );
    dir.write("b0.conf", "lxc.cap.drop = mknod\n");
    assert_eq!(
        parse_file(&twice).unwrap().settings.cap_drop,
        ["mknod", "mknod"]
    );
}

#[test]
fn mounts_reads_the_fstab_then_the_entries() {
    let dir = TempDir::new("mounts");
    dir.write(
        "fstab",
        "# c\n\nproc proc proc defaults 0 0\n/srv b none bind,ro\n",
    );
    let conf = dir.write(
        "c.conf",
        "lxc.mount.entry = tmpfs tmp tmpfs size=1m\nlxc.mount = ./fstab\n",
    );
    let config = parse_file(&conf).unwrap();
    let mounts = config.mounts().unwrap();
    let got: Vec<(String, String)> = mounts
        .iter()
        .map(|m| (m.target.clone(), m.origin.to_string()))
        .collect();
    let fstab = dir.path().join("fstab").display().to_string();
    assert_eq!(
        got,
        [
            ("proc".to_owned(), format!("{fstab}:3")),
            ("b".to_owned(), format!("{fstab}:4")),
            ("tmp".to_owned(), format!("{}:1", conf.display())),
        ]
    );
    dir.write(
        "fstab",
        "proc proc proc defaults\n/a b none bind,create=pipe\n",
    );
    let err = config.mounts().unwrap_err();
    assert!(
        err.to_string().starts_with(&format!("{fstab}:2: ")),
        "{err}"
    );
}

#[test]
fn hostile_files_are_refused_without_hanging() {
    let dir = TempDir::new("hostile");
    let fifo = dir.path().join("fifo");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.unwrap().success(), "mkfifo");
    let big = dir.write(
        "big",
        &"#".repeat(usize::try_from(MAX_FILE_SIZE).unwrap() + 1),
    );
    for (path, why) in [
        (fifo.as_path(), "not a regular file"),
        (Path::new("/dev/zero"), "not a regular file"),
        (big.as_path(), "larger than 1 MiB"),
    ] {
        let shown = path.display();
        // As the config itself.
        let err = parse_file(path).unwrap_err();
        assert!(
            err.to_string().starts_with(&format!("{shown}: {why}")),
            "{err}"
        );
        // As an included file: reported at the include line.
        let top = dir.write("top.conf", &format!("lxc.include = {shown}\n"));
        let err = parse_file(&top).unwrap_err();
        let want = format!("{}:1: lxc.include: {shown}: {why}", top.display());
        assert!(err.to_string().starts_with(&want), "{err}");
        // As the fstab: reported at the line that names it.
        let conf = dir.write("fstab.conf", &format!("lxc.mount.fstab = {shown}\n"));
        let err = parse_file(&conf).unwrap().mounts().unwrap_err();
        let want = format!("{}:1: lxc.mount.fstab: {shown}: {why}", conf.display());
        assert!(err.to_string().starts_with(&want), "{err}");
    }
}
