package memory

import (
	"reflect"
	"testing"
	"time"

	"github.com/runbookhq/runbook"
)

// fill sets every field reachable from v to a non-zero value: pointers are
// allocated, slices get two elements, maps one entry, interfaces a decoded
// JSON object, so that a field added to a record type is checked too.
func fill(t *testing.T, v reflect.Value, path string) {
	t.Helper()
	if v.Type() == reflect.TypeFor[time.Time]() {
		v.Set(reflect.ValueOf(time.Date(2025, 1, 2, 3, 4, 5, 6000, time.UTC)))
		return
	}
	switch v.Kind() {
	case reflect.String:
		v.SetString("x")
	case reflect.Bool:
		v.SetBool(true)
	case reflect.Int, reflect.Int64, reflect.Int32:
		v.SetInt(7)
	case reflect.Uint8:
		v.SetUint(7)
	case reflect.Float64:
		v.SetFloat(0.5)
	case reflect.Pointer:
		v.Set(reflect.New(v.Type().Elem()))
		fill(t, v.Elem(), path)
	case reflect.Struct:
		for i := range v.NumField() {
			if !v.Type().Field(i).IsExported() {
				t.Fatalf("%s.%s is unexported: teach fill about %s", path, v.Type().Field(i).Name, v.Type())
			}
			fill(t, v.Field(i), path+"."+v.Type().Field(i).Name)
		}
	case reflect.Slice:
		v.Set(reflect.MakeSlice(v.Type(), 2, 2))
		for i := range 2 {
			fill(t, v.Index(i), path+"[]")
		}
	case reflect.Map:
		m := reflect.MakeMap(v.Type())
		k, e := reflect.New(v.Type().Key()).Elem(), reflect.New(v.Type().Elem()).Elem()
		fill(t, k, path+"{key}")
		fill(t, e, path+"{}")
		m.SetMapIndex(k, e)
		v.Set(m)
	case reflect.Interface:
		v.Set(reflect.ValueOf(map[string]any{"list": []any{"a", map[string]any{"n": 1.0}}}))
	default:
		t.Fatalf("%s: teach fill about %s", path, v.Type())
	}
}

// shares reports the path of the first pointer, slice or map of a that b
// uses too.
func shares(a, b reflect.Value, path string) string {
	switch a.Kind() {
	case reflect.Pointer:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		if a.Pointer() == b.Pointer() {
			return path
		}
		return shares(a.Elem(), b.Elem(), path)
	case reflect.Interface:
		if a.IsNil() || b.IsNil() {
			return ""
		}
		return shares(a.Elem(), b.Elem(), path)
	case reflect.Struct:
		for i := range a.NumField() {
			if !a.Type().Field(i).IsExported() {
				continue
			}
			if p := shares(a.Field(i), b.Field(i), path+"."+a.Type().Field(i).Name); p != "" {
				return p
			}
		}
	case reflect.Slice:
		if a.Len() > 0 && b.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for i := range min(a.Len(), b.Len()) {
			if p := shares(a.Index(i), b.Index(i), path+"[]"); p != "" {
				return p
			}
		}
	case reflect.Map:
		if a.Len() > 0 && a.Pointer() == b.Pointer() {
			return path
		}
		for _, k := range a.MapKeys() {
			if bv := b.MapIndex(k); bv.IsValid() {
				if p := shares(a.MapIndex(k), bv, path+"{}"); p != "" {
					return p
				}
			}
		}
	}
	return ""
}

func TestCopyRecordsAreDeep(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		name string
		orig any
		copy func(any) any
	}{
		{"RunbookRecord", &runbook.RunbookRecord{}, func(v any) any { return copyRunbook(v.(*runbook.RunbookRecord)) }},
		{"ExecutionRecord", &runbook.ExecutionRecord{}, func(v any) any { return copyExecution(v.(*runbook.ExecutionRecord)) }},
		{"StepRecord", &runbook.StepRecord{}, func(v any) any { return copyStep(v.(*runbook.StepRecord)) }},
		{"Task", &runbook.Task{}, func(v any) any { return copyTask(v.(*runbook.Task)) }},
		{"Wait", &runbook.Wait{}, func(v any) any { return copyWait(v.(*runbook.Wait)) }},
		{"InboxEvent", &runbook.InboxEvent{}, func(v any) any { return copyInboxEvent(v.(*runbook.InboxEvent)) }},
	} {
		fill(t, reflect.ValueOf(c.orig).Elem(), c.name)
		cp := c.copy(c.orig)
		if !reflect.DeepEqual(cp, c.orig) {
			t.Errorf("%s: copy differs:\n got %+v\nwant %+v", c.name, cp, c.orig)
		}
		if p := shares(reflect.ValueOf(cp), reflect.ValueOf(c.orig), c.name); p != "" {
			t.Errorf("%s: the copy shares %s with the original", c.name, p)
		}
	}
}
