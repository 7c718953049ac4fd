package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

func envMap(m map[string]string) func(string) string {
	return func(k string) string { return m[k] }
}

func TestConfigPrecedence(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "c.yaml")
	if err := os.WriteFile(file, []byte("http: 127.0.0.1:7000\ndata: /from/file\nsession_ttl: 2h\nlog_format: json\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name  string
		args  []string
		env   map[string]string
		check func(Config) bool
	}{
		{"defaults", nil, nil, func(c Config) bool { return reflect.DeepEqual(c, DefaultConfig()) }},
		{"file", []string{"--config", file}, nil, func(c Config) bool {
			return c.HTTP == "127.0.0.1:7000" && c.Data == "/from/file" && c.SessionTTL == 2*time.Hour && c.LogFormat == "json"
		}},
		{"file from env", nil, map[string]string{"CALLFLOOR_CONFIG": file}, func(c Config) bool { return c.HTTP == "127.0.0.1:7000" }},
		{"env beats file", []string{"--config", file}, map[string]string{"CALLFLOOR_HTTP": "127.0.0.1:7001"}, func(c Config) bool {
			return c.HTTP == "127.0.0.1:7001" && c.Data == "/from/file"
		}},
		{"flag beats env and file", []string{"--config", file, "--http", "127.0.0.1:7002"}, map[string]string{"CALLFLOOR_HTTP": "127.0.0.1:7001"}, func(c Config) bool {
			return c.HTTP == "127.0.0.1:7002"
		}},
		{"flag equal to default still wins", []string{"--http", "127.0.0.1:8080"}, map[string]string{"CALLFLOOR_HTTP": "127.0.0.1:7001"}, func(c Config) bool {
			return c.HTTP == "127.0.0.1:8080"
		}},
		{"database url", []string{"--database", "postgres://x@127.0.0.1/db"}, nil, func(c Config) bool { return c.Database == "postgres://x@127.0.0.1/db" }},
		{"bool env", nil, map[string]string{"CALLFLOOR_SECURE_COOKIES": "true"}, func(c Config) bool { return c.SecureCookies }},
		{"bool flag alone", []string{"--simulate", "--http", "127.0.0.1:7003"}, nil, func(c Config) bool {
			return c.Simulate && c.HTTP == "127.0.0.1:7003"
		}},
		{"bool flag false beats env", []string{"--simulate=false"}, map[string]string{"CALLFLOOR_SIMULATE": "true"}, func(c Config) bool { return !c.Simulate }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := LoadConfig("serve", tc.args, envMap(tc.env), false, nil)
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(c) {
				t.Errorf("unexpected config %+v", c)
			}
		})
	}
}

func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("htp: 127.0.0.1:1\n"), 0o600)
	broken := filepath.Join(dir, "broken.yaml")
	os.WriteFile(broken, []byte("http: [\n"), 0o600)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		want string
	}{
		{"unknown yaml key", []string{"--config", bad}, nil, `unknown setting "htp"`},
		{"broken yaml", []string{"--config", broken}, nil, "broken.yaml"},
		{"missing file", []string{"--config", filepath.Join(dir, "none.yaml")}, nil, "config file"},
		{"bad duration", []string{"--session-ttl", "forever"}, nil, "--session-ttl"},
		{"bad env level", nil, map[string]string{"CALLFLOOR_LOG_LEVEL": "loud"}, "CALLFLOOR_LOG_LEVEL"},
		{"bad bool", []string{"--secure-cookies=maybe"}, nil, "secure"},
		{"stray argument", []string{"extra"}, nil, "unexpected argument"},
		{"demo flag outside demo", []string{"--demo-password", "x"}, nil, "demo-password"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := LoadConfig("serve", tc.args, envMap(tc.env), false, nil)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
		})
	}
}

// The sample file documents every setting with its default value.
func TestSampleConfigIsTrue(t *testing.T) {
	path := filepath.Join("..", "..", "callfloor.sample.yaml")
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := yaml.Unmarshal(b, &raw); err != nil {
		t.Fatal(err)
	}
	for _, s := range settings() {
		if _, ok := raw[s.yamlKey()]; !ok {
			t.Errorf("callfloor.sample.yaml does not document %q", s.yamlKey())
		}
	}
	c, err := LoadConfig("demo", []string{"--config", path}, envMap(nil), true, nil)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c, DefaultConfig()) {
		t.Errorf("sample values differ from the defaults:\n%+v\n%+v", c, DefaultConfig())
	}
}
