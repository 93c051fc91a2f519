package spec

import (
	"encoding/json"
	"strconv"
)

// jsonNumberInt formats an integer as a json.Number.
func jsonNumberInt(i int64) json.Number {
	return json.Number(strconv.FormatInt(i, 10))
}

// jsonNumberUint formats an unsigned integer as a json.Number.
func jsonNumberUint(u uint64) json.Number {
	return json.Number(strconv.FormatUint(u, 10))
}

// jsonNumberFloat formats a finite float as a json.Number in its shortest
// form.
func jsonNumberFloat(f float64) json.Number {
	return json.Number(strconv.FormatFloat(f, 'g', -1, 64))
}
