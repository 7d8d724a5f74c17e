//! `neon explain-image` and `neon demo images`: bad inputs fail with a message that names the
//! problem, a non-zero exit code and no output directory (no weights needed); with the default
//! weights present (tools/fetch-weights.sh), a small end-to-end run writes every output.

use crate::common::{neon_env as neon, stderr};
use std::path::{Path, PathBuf};

fn png(dir: &Path, name: &str, w: u32, h: u32) -> PathBuf {
    let path = dir.join(name);
    let img = image::RgbImage::from_fn(w, h, |x, y| {
        image::Rgb([(x * 7 % 256) as u8, (y * 5 % 256) as u8, 90])
    });
    img.save(&path).expect("write png");
    path
}

/// Arguments after `explain-image --out-dir DIR`, environment, expected part of the message.
type Case<'a> = (Vec<&'a str>, Vec<(&'a str, &'a str)>, &'a str);

fn s(p: &Path) -> &str {
    p.to_str().expect("utf-8 path")
}

#[test]
fn bad_inputs_fail_with_a_clear_message_and_write_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let tiny = png(dir.path(), "tiny.png", 20, 40);
    let ok = png(dir.path(), "ok.png", 64, 64);
    let empty = dir.path().join("empty");
    std::fs::create_dir(&empty).expect("mkdir");
    let out = dir.path().join("out");
    let missing = dir.path().join("no-such-vgg16.pth");
    let none = dir.path().join("none.png");
    let cases: Vec<Case> = vec![
        // refused before any weights are needed, also when a resize would enlarge it
        (
            vec!["--image", s(&tiny)],
            vec![],
            "image is 20x40 px; each side must be at least 32 px",
        ),
        (
            vec!["--image", s(&tiny), "--size", "0"],
            vec![],
            "at least 32 px",
        ),
        (
            vec!["--image", s(&ok), "--weights", s(&missing)],
            vec![],
            "tools/fetch-weights.sh",
        ),
        (
            vec!["--image", s(&ok)],
            vec![("NEON_WEIGHTS", s(&missing))],
            "NEON_WEIGHTS",
        ),
        (
            vec!["--image", s(&ok), "--preset", "magic"],
            vec![],
            "unknown preset `magic`; known: epsilon-gamma-box",
        ),
        (
            vec!["--image", s(&ok), "--target", "density"],
            vec![],
            "unknown target `density`",
        ),
        (
            vec!["--image", s(&ok), "--target", "inlier"],
            vec![],
            "use `inlier-rff`",
        ),
        (
            vec!["--image", s(&ok), "--layer", "fc7"],
            vec![],
            "unknown layer `fc7`",
        ),
        (
            vec!["--image", s(&ok), "--preprocess", "tf"],
            vec![],
            "unknown preprocessing `tf`",
        ),
        (
            vec!["--image", s(&ok), "--gamma-rel", "-1"],
            vec![],
            "invalid --gamma-rel",
        ),
        (
            vec!["--image", s(&ok), "--overlay", "2"],
            vec![],
            "opacity 2 must be in [0, 1]",
        ),
        (
            vec!["--image", s(&ok), "--target", "cluster", "--cluster", "7"],
            vec![],
            "invalid --cluster: 7 >= --n-clusters 5",
        ),
        (
            vec!["--image", s(&ok), "--rule", "conv9_9=flat"],
            vec![],
            "unknown layer `conv9_9`",
        ),
        (
            vec!["--image", s(&ok), "--location", "1"],
            vec![],
            "expected I,J",
        ),
        (
            vec!["--image", s(&ok), "--train-images", s(&empty)],
            vec![],
            "no .png/.jpg/.jpeg image",
        ),
        (vec!["--image", s(&none)], vec![], "none.png"),
    ];
    for (args, env, expected) in cases {
        let mut full = vec!["explain-image", "--out-dir", s(&out)];
        full.extend(&args);
        let o = neon(&full, &env);
        assert!(!o.status.success(), "{args:?} succeeded");
        let err = stderr(&o);
        assert!(err.contains(expected), "{args:?}: {err}");
        assert!(!out.exists(), "{args:?} left {}", out.display());
    }
    // the demo refuses missing weights the same way
    let o = neon(
        &[
            "demo",
            "images",
            "--weights",
            s(&missing),
            "--out-dir",
            s(&out),
        ],
        &[],
    );
    assert!(!o.status.success());
    assert!(
        stderr(&o).contains("tools/fetch-weights.sh"),
        "{}",
        stderr(&o)
    );
    assert!(!out.exists());
}

#[test]
fn a_small_image_is_explained_end_to_end_when_the_weights_are_present() {
    let weights =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../weights/hed_bsds500.weights.h5");
    if !weights.is_file() {
        assert!(
            std::env::var("NEON_REQUIRE_WEIGHTS").map_or(true, |v| v != "1"),
            "NEON_REQUIRE_WEIGHTS=1 but {} is missing",
            weights.display()
        );
        eprintln!(
            "skipping: {} not found (tools/fetch-weights.sh)",
            weights.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let img = png(dir.path(), "img.png", 128, 96);
    let out = dir.path().join("out");
    let o = neon(
        &[
            "--quiet",
            "explain-image",
            "--image",
            s(&img),
            "--weights",
            s(&weights),
            "--size",
            "96",
            "--target",
            "cluster",
            "--n-clusters",
            "2",
            "--overlay",
            "--out-dir",
            s(&out),
        ],
        &[],
    );
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "image.png",
        "scores.png",
        "scores.npy",
        "clusters.png",
        "cluster_0.png",
        "cluster_0.npy",
        "cluster_0_overlay.png",
        "cluster_1.png",
        "summary.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("read"))
            .expect("json");
    assert_eq!(json["preprocess"], "caffe");
    assert_eq!(
        json["explanation"]["image_size"],
        serde_json::json!([96, 128])
    );
    let maps = json["explanation"]["heatmaps"]
        .as_array()
        .expect("heatmaps");
    assert_eq!(maps.len(), 2);
    assert!(maps[0]["stages"][0]["absorbed_share"].is_number());
    assert!(maps[0]["bridge"]["dissipated_share"].is_number());
    let bridge = &maps[0]["bridge"];
    let (score, sum, dissipated) = (
        bridge["score"].as_f64().expect("score"),
        bridge["relevance_sum"].as_f64().expect("relevance_sum"),
        bridge["dissipated"].as_f64().expect("dissipated"),
    );
    assert!((sum + dissipated - score).abs() < 1e-9 * score.abs().max(1.0));
    assert!(json["explanation"]["timings"]["forward_s"].is_number());
}

/// `summary.json` without its timings (`timings`, every `…_s` key, and the thread count, if
/// recorded).
fn without_timings(mut v: serde_json::Value) -> serde_json::Value {
    if let Some(map) = v.as_object_mut() {
        map.remove("timings");
        map.remove("threads");
        map.retain(|key, _| !key.ends_with("_s"));
        for value in map.values_mut() {
            *value = without_timings(value.take());
        }
    } else if let Some(items) = v.as_array_mut() {
        for value in items.iter_mut() {
            *value = without_timings(value.take());
        }
    }
    v
}

#[test]
fn explain_image_numbers_do_not_depend_on_the_thread_count() {
    let weights =
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../weights/hed_bsds500.weights.h5");
    if !weights.is_file() {
        assert!(
            std::env::var("NEON_REQUIRE_WEIGHTS").map_or(true, |v| v != "1"),
            "NEON_REQUIRE_WEIGHTS=1 but {} is missing",
            weights.display()
        );
        return;
    }
    let dir = tempfile::tempdir().expect("tempdir");
    let img = png(dir.path(), "img.png", 160, 128);
    let run = |threads: &str| {
        let out = dir.path().join(format!("out-{threads}"));
        let o = neon(
            &[
                "--quiet",
                "--threads",
                threads,
                "explain-image",
                "--image",
                s(&img),
                "--weights",
                s(&weights),
                "--target",
                "outlier",
                "--out-dir",
                s(&out),
            ],
            &[],
        );
        assert!(o.status.success(), "{}", stderr(&o));
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).expect("read"))
                .expect("json");
        let heatmaps: Vec<(String, Vec<u8>)> = std::fs::read_dir(&out)
            .expect("list")
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| p.extension().is_some_and(|x| x == "npy"))
            .map(|p| (p.display().to_string(), std::fs::read(&p).expect("npy")))
            .map(|(p, b)| (p.rsplit('/').next().unwrap_or("").to_string(), b))
            .collect();
        (without_timings(summary), heatmaps)
    };
    let (one, one_maps) = run("1");
    assert!(!one_maps.is_empty());
    for threads in ["2", "5"] {
        let (many, many_maps) = run(threads);
        assert_eq!(one, many, "summary.json with --threads {threads}");
        let mut a = one_maps.clone();
        let mut b = many_maps;
        a.sort();
        b.sort();
        assert!(a == b, "heatmap .npy files differ with --threads {threads}");
    }
}
