package testserver

import "strings"

// parseInfo turns INFO / CLUSTER INFO text ("key:value" lines, "#" section
// headers) into a map, which is all the readiness checks need.
func parseInfo(text string) map[string]string {
	m := make(map[string]string)
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(line)
		if line == "" || line[0] == '#' {
			continue
		}
		if k, v, ok := strings.Cut(line, ":"); ok {
			m[k] = v
		}
	}
	return m
}

// serverIdentity names the server product and version from INFO server.
// Valkey also reports redis_version (a fixed compatibility value), so
// valkey_version / server_name must win when present.
func serverIdentity(info map[string]string) (product, version string) {
	if v, ok := info["valkey_version"]; ok {
		return "valkey", v
	}
	if info["server_name"] == "valkey" {
		return "valkey", info["redis_version"]
	}
	return "redis", info["redis_version"]
}
