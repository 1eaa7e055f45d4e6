//! The deployment files of docs/deploy.md are valid: the compose file and the Fly.io files
//! parse, describe the roles the guide promises, and every command they run is one the `sift`
//! binary accepts (checked by asking the binary itself, so a renamed flag fails here).

use std::path::{Path, PathBuf};
use std::process::Command;

use yaml_rust2::{Yaml, YamlLoader};

fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn read(path: &str) -> String {
    let path = repo().join(path);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Runs `sift ARGS --help`: clap parses (and rejects) every flag and value before the help.
fn assert_sift_accepts(args: &[String], origin: &str) {
    let output = Command::new(env!("CARGO_BIN_EXE_sift"))
        .args(args)
        .arg("--help")
        .output()
        .expect("run sift");
    assert!(
        output.status.success(),
        "{origin}: `sift {}` is rejected: {}",
        args.join(" "),
        String::from_utf8_lossy(&output.stderr)
    );
}

fn strings(yaml: &Yaml) -> Vec<String> {
    yaml.as_vec()
        .expect("a list")
        .iter()
        .map(|v| v.as_str().expect("a string").to_owned())
        .collect()
}

#[test]
fn compose_runs_redis_postgres_a_collector_two_workers_and_an_api() {
    let docs = YamlLoader::load_from_str(&read("docker-compose.yml")).expect("valid YAML");
    let services = &docs[0]["services"];
    let names: Vec<&str> = services
        .as_hash()
        .expect("services")
        .keys()
        .map(|k| k.as_str().expect("a name"))
        .collect();
    for name in ["redis", "postgres", "migrate", "collector", "worker", "api"] {
        assert!(names.contains(&name), "service {name} missing: {names:?}");
    }
    assert_eq!(services["worker"]["deploy"]["replicas"].as_i64(), Some(2));
    assert_eq!(
        services["api"]["ports"][0].as_str(),
        Some("127.0.0.1:8080:8080")
    );
    let shared = &docs[0]["x-sift"]["environment"];
    for key in ["SIFT_REDIS__URL", "SIFT_DATABASE__URL"] {
        assert!(shared[key].as_str().is_some(), "x-sift sets {key}");
    }
    for role in ["migrate", "collector", "worker", "api"] {
        let service = &services[role];
        let command = strings(&service["command"]);
        assert_eq!(command[0], role, "{role} runs the {role} role");
        assert_sift_accepts(&command, &format!("docker-compose.yml service {role}"));
    }
}

#[test]
fn fly_apps_run_the_roles_with_health_checks() {
    for role in ["collector", "worker", "api"] {
        let path = format!("deploy/fly/{role}.toml");
        let fly: toml::Table = read(&path)
            .parse()
            .unwrap_or_else(|e| panic!("{path}: {e}"));
        assert_eq!(fly["app"].as_str(), Some(format!("sift-{role}").as_str()));
        assert_eq!(
            fly["build"]["dockerfile"].as_str(),
            Some("../../Dockerfile")
        );
        let command = fly["processes"][role].as_str().expect("the role's process");
        let args: Vec<String> = command.split_whitespace().map(str::to_owned).collect();
        assert_eq!(args[0], role);
        assert_sift_accepts(&args, &path);
        let checked = if role == "api" {
            fly["http_service"]["checks"][0]["path"].as_str()
        } else {
            fly["checks"]["health"]["path"].as_str()
        };
        assert_eq!(checked, Some("/health"), "{path} checks /health");
    }
}

#[test]
fn the_dockerfile_builds_the_binary_and_the_systemd_unit_runs_serve() {
    let dockerfile = read("Dockerfile");
    assert!(dockerfile.contains("cargo build --release --locked -p sift"));
    assert!(
        dockerfile.contains("USER sift"),
        "the image runs as a non-root user"
    );
    let cmd = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("CMD "))
        .expect("a CMD");
    let args: Vec<String> = serde_json::from_str(cmd).expect("CMD in exec form");
    assert_sift_accepts(&args, "Dockerfile CMD");

    let unit = read("deploy/systemd/sift.service");
    let exec = unit
        .lines()
        .find_map(|l| l.strip_prefix("ExecStart=/usr/local/bin/sift "))
        .expect("ExecStart");
    let args: Vec<String> = exec.split_whitespace().map(str::to_owned).collect();
    assert_sift_accepts(&args, "deploy/systemd/sift.service");
}
