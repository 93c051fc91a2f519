package main

import (
	"errors"
	"io"
	"net"
	"strings"
	"testing"
)

// Whatever flags it is given, serve either refuses them with a usage error
// (one line saying what to change) or accepts a configuration it can run:
// never a panic, never a value the engine would misread.
func FuzzServeConfig(f *testing.F) {
	for _, args := range []string{
		"",
		"--addr\x00:0\x00--store\x00memory",
		"--lease-duration=500ms",
		"--poll-interval\x001ns\x00--shutdown-grace=-1s",
		"--node-id\x00runbook-0\x00--cors-origins\x00https://a.example.com, *",
		"--max-concurrent-steps=-3\x00extra",
		"--log-level\x00loud\x00--log-format=xml",
		"--cors-origins=ftp://x",
		"-h",
	} {
		f.Add(args)
	}
	f.Fuzz(func(t *testing.T, joined string) {
		var args []string
		if joined != "" {
			args = strings.Split(joined, "\x00")
		}
		cfg, err := parseServeConfig(args, io.Discard)
		if err != nil {
			var usage usageError
			if !errors.As(err, &usage) && !errors.Is(err, errHelp) {
				t.Fatalf("parseServeConfig(%q): %T %v, want a usage error", args, err, err)
			}
			if strings.Contains(err.Error(), "\n") && !strings.Contains(joined, "\n") {
				t.Fatalf("parseServeConfig(%q): a message of several lines: %q", args, err)
			}
			return
		}
		if _, _, err := net.SplitHostPort(cfg.Addr); err != nil {
			t.Fatalf("accepted --addr %q", cfg.Addr)
		}
		if cfg.LeaseDuration < minLeaseDuration || cfg.PollInterval < minPollInterval || cfg.ShutdownGrace <= 0 ||
			cfg.MaxConcurrentSteps < 0 {
			t.Fatalf("accepted %+v", cfg)
		}
		if cfg.NodeID != "" && !validNodeID.MatchString(cfg.NodeID) {
			t.Fatalf("accepted --node-id %q", cfg.NodeID)
		}
		for _, o := range cfg.CORSOrigins {
			if !validOrigin(o) {
				t.Fatalf("accepted CORS origin %q", o)
			}
		}
		if _, err := parseLevel(cfg.LogLevel); err != nil || (cfg.LogFormat != "text" && cfg.LogFormat != "json") {
			t.Fatalf("accepted log level %q, format %q", cfg.LogLevel, cfg.LogFormat)
		}
	})
}
