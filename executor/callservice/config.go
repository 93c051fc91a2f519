package callservice

import (
	"fmt"
	"math"

	"github.com/runbookhq/runbook"
	"github.com/runbookhq/runbook/executor"
)

// decodeConfig reads a rendered config. Configs of the usual shape (string
// values, numbers, string maps) are read field by field, which is the hot
// path of every attempt; anything else goes through executor.DecodeConfig,
// whose errors say what is wrong.
func decodeConfig(m map[string]any) (*runbook.CallServiceConfig, error) {
	if cfg, ok := fastConfig(m); ok {
		return cfg, nil
	}
	var cfg runbook.CallServiceConfig
	if err := executor.DecodeConfig(stringifyHeaders(m), &cfg); err != nil {
		return nil, err
	}
	return &cfg, nil
}

// fastConfig decodes m without a JSON round trip; ok is false when a value
// has a type it does not handle.
func fastConfig(m map[string]any) (cfg *runbook.CallServiceConfig, ok bool) {
	cfg = &runbook.CallServiceConfig{}
	str := func(v any, dst *string) bool {
		s, isString := v.(string)
		*dst = s
		return isString
	}
	integer := func(v any, dst *int64) bool {
		f, isNumber := v.(float64)
		if !isNumber || f != math.Trunc(f) || math.Abs(f) > 1<<53 {
			return false
		}
		*dst = int64(f)
		return true
	}
	strings := func(v any) (map[string]string, bool) {
		in, isMap := v.(map[string]any)
		if !isMap {
			return nil, false
		}
		out := make(map[string]string, len(in))
		for k, val := range in {
			switch val := val.(type) {
			case string:
				out[k] = val
			case float64, bool:
				out[k] = fmt.Sprint(val)
			default:
				return nil, false
			}
		}
		return out, true
	}
	for k, v := range m {
		good := true
		switch k {
		case "protocol":
			good = str(v, &cfg.Protocol)
		case "url":
			good = str(v, &cfg.URL)
		case "method":
			good = str(v, &cfg.Method)
		case "idempotencyKey":
			good = str(v, &cfg.IdempotencyKey)
		case "timeoutMs":
			good = integer(v, &cfg.TimeoutMs)
		case "maxResponseBytes":
			good = integer(v, &cfg.MaxResponseBytes)
		case "headers":
			cfg.Headers, good = strings(v)
		case "query":
			cfg.Query, good = strings(v)
		case "body":
			cfg.Body = v
		default:
			// evidence and unknown keys: leave them to the general path.
			good = k != "evidence"
		}
		if !good {
			return nil, false
		}
	}
	return cfg, true
}
