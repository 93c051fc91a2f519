package executor_test

import (
	"math"
	"strings"
	"testing"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor"
)

func TestDecodeConfig(t *testing.T) {
	t.Parallel()
	m := map[string]any{
		"url":     "http://127.0.0.1/x",
		"method":  "POST",
		"headers": map[string]any{"X-A": "1"},
		"body":    map[string]any{"n": 1.5},
		"unknown": true,
		"evidence": map[string]any{
			"type": "dns",
		},
	}
	var cfg runbook.CallServiceConfig
	if err := executor.DecodeConfig(m, &cfg); err != nil {
		t.Fatalf("DecodeConfig: %v", err)
	}
	if cfg.URL != "http://127.0.0.1/x" || cfg.Method != "POST" || cfg.Headers["X-A"] != "1" {
		t.Errorf("cfg = %+v", cfg)
	}
	if body, ok := cfg.Body.(map[string]any); !ok || body["n"] != 1.5 {
		t.Errorf("body = %#v, want map with n 1.5", cfg.Body)
	}
	if cfg.Evidence == nil || cfg.Evidence.Type != "dns" {
		t.Errorf("evidence = %+v", cfg.Evidence)
	}
}

func TestDecodeConfigErrors(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		m    map[string]any
	}{
		{"wrong type", map[string]any{"url": 3}},
		{"not JSON", map[string]any{"url": math.NaN()}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			var cfg runbook.CallServiceConfig
			err := executor.DecodeConfig(tt.m, &cfg)
			if err == nil || !strings.HasPrefix(err.Error(), "decode config: ") {
				t.Errorf("err = %v, want a decode config error", err)
			}
		})
	}
}

func TestDecodeConfigNil(t *testing.T) {
	t.Parallel()
	var cfg runbook.WaitForEventConfig
	if err := executor.DecodeConfig(nil, &cfg); err != nil {
		t.Fatalf("DecodeConfig(nil): %v", err)
	}
	if cfg != (runbook.WaitForEventConfig{}) {
		t.Errorf("cfg = %+v, want zero", cfg)
	}
}
