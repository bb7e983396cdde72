// deploy/: every manifest parses, and what the manifests say about the node
// (ports, probe paths, the image's user) matches what the node does by
// default; the compose file's nodes form a cluster configuration the loader
// accepts. (The dashboard's metrics are checked against a running durable
// node in durable_deploy.cpp.)
#include "tests/system/common.hpp"

#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

using namespace sys;

namespace {

std::string root() {
  return WEFT_SOURCE_DIR;
}

std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::vector<YAML::Node> documents(const std::string& path) {
  return YAML::LoadAllFromFile(path);
}

/// A mapping with YAML merge keys (`<<: *anchor`) applied: yaml-cpp 0.7
/// reads them as an ordinary key.
std::map<std::string, std::string> merged(const YAML::Node& map) {
  std::map<std::string, std::string> out;
  if (auto base = map["<<"])
    out = merged(base);
  for (auto kv : map) {
    auto k = kv.first.as<std::string>();
    if (k != "<<")
      out[k] = kv.second.as<std::string>();
  }
  return out;
}

json example_config() {
  return json::parse(read_file(root() + "/config/examples/weft.json"));
}

} // namespace

TEST_CASE("deploy: every manifest parses, and the k8s ones match the node's defaults",
          "[system][deploy]") {
  auto defaults = example_config(); // equal to the node's defaults (unit-tested)
  int http_port = defaults["http"]["port"];
  int metrics_port = defaults["metrics"]["port"];

  std::map<std::string, int> kinds;
  for (auto file : {"secret.example.yaml", "service-nodes.yaml", "adapter-nodes.yaml", "services.yaml",
                    "pdb.yaml"}) {
    INFO(file);
    std::vector<YAML::Node> docs;
    REQUIRE_NOTHROW(docs = documents(root() + "/deploy/k8s/" + file));
    for (auto& d : docs) {
      REQUIRE(d["apiVersion"]);
      REQUIRE(d["kind"]);
      REQUIRE(d["metadata"]["name"]);
      kinds[d["kind"].as<std::string>()]++;
    }
  }
  CHECK(kinds["Deployment"] == 2);
  CHECK(kinds["Service"] == 2);
  CHECK(kinds["PodDisruptionBudget"] == 2);

  for (auto file : {"service-nodes.yaml", "adapter-nodes.yaml"}) {
    INFO(file);
    auto d = documents(root() + "/deploy/k8s/" + file).at(0);
    auto pod = d["spec"]["template"];
    CHECK(pod["metadata"]["annotations"]["prometheus.io/port"].as<std::string>()
          == std::to_string(metrics_port));
    CHECK(pod["spec"]["securityContext"]["runAsNonRoot"].as<bool>());
    auto c = pod["spec"]["containers"][0];
    CHECK(c["securityContext"]["readOnlyRootFilesystem"].as<bool>());
    CHECK(c["resources"]["limits"]);
    std::map<std::string, int> ports;
    for (auto p : c["ports"])
      ports[p["name"].as<std::string>()] = p["containerPort"].as<int>();
    CHECK(ports["http"] == http_port);
    CHECK(ports["metrics"] == metrics_port);
    CHECK(c["livenessProbe"]["httpGet"]["path"].as<std::string>() == "/health/live");
    CHECK(c["readinessProbe"]["httpGet"]["path"].as<std::string>() == "/health/ready");
    CHECK(c["livenessProbe"]["httpGet"]["port"].as<std::string>() == "http");
    // The cluster port the env configures is the one declared.
    std::map<std::string, std::string> env;
    for (auto e : c["env"])
      if (e["value"])
        env[e["name"].as<std::string>()] = e["value"].as<std::string>();
    CHECK(env["WEFT_CLUSTER_LISTEN"] == "0.0.0.0:" + std::to_string(ports["cluster"]));
    CHECK(env.count("WEFT_CLUSTER_TLS_CERT") == 1);
  }
  // The headless Service targets the cluster port; the API Service the adapters.
  auto svcs = documents(root() + "/deploy/k8s/services.yaml");
  CHECK(svcs.at(0)["spec"]["clusterIP"].as<std::string>() == "None");
  CHECK(svcs.at(1)["spec"]["selector"]["app.kubernetes.io/component"].as<std::string>() == "adapter");

  // The running node answers the probes' paths on its HTTP port.
  weft_node node{node_options()};
  CHECK(node.get("/health/live").status == 200);
  CHECK(node.get("/health/ready").status == 200);
}

TEST_CASE("deploy: the compose file parses and its nodes' settings load", "[system][deploy]") {
  YAML::Node c;
  REQUIRE_NOTHROW(c = YAML::LoadFile(root() + "/deploy/compose/compose.yaml"));
  for (auto name : {"nats", "postgres", "service-1", "service-2", "adapter"})
    CHECK(c["services"][name]);
  // Each node's environment, as the loader reads it (a check, not a run).
  for (auto name : {"service-1", "service-2", "adapter"}) {
    INFO(name);
    auto env = merged(c["services"][name]["environment"]);
    REQUIRE(env.count("WEFT_CLUSTER_LISTEN") == 1);
    temp_dir dir;
    write_text(dir / "empty.json", "{}");
    auto r = run_weft(WEFT_BINARY, {"config", "check", (dir / "empty.json").string()}, env);
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
  }
  // The Dockerfile runs the binary as a non-root user and exposes the default ports.
  auto docker = read_file(root() + "/deploy/docker/Dockerfile");
  CHECK(docker.find("USER 10001") != std::string::npos);
  CHECK(docker.find("EXPOSE 8080 9000 7400") != std::string::npos);
}
