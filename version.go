package runbook

import (
	"strconv"
	"strings"
)

// CompareVersions orders runbook version strings: dot-separated segments
// compare numerically when both are numbers ("1.10.0" > "1.9.0"), as
// strings otherwise; a leading "v" is ignored. It returns -1, 0 or 1.
func CompareVersions(a, b string) int {
	as := strings.Split(strings.TrimPrefix(a, "v"), ".")
	bs := strings.Split(strings.TrimPrefix(b, "v"), ".")
	for i := 0; i < len(as) || i < len(bs); i++ {
		if i >= len(as) {
			return -1
		}
		if i >= len(bs) {
			return 1
		}
		if c := compareSegment(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return 0
}

func compareSegment(a, b string) int {
	an, aerr := strconv.ParseUint(a, 10, 64)
	bn, berr := strconv.ParseUint(b, 10, 64)
	switch {
	case aerr == nil && berr == nil:
		switch {
		case an < bn:
			return -1
		case an > bn:
			return 1
		}
		return 0
	case aerr == nil:
		return 1 // a release number sorts after a pre-release word
	case berr == nil:
		return -1
	}
	return strings.Compare(a, b)
}
