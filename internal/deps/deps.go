package deps
import (
 _ "modernc.org/sqlite"
 _ "go.yaml.in/yaml/v3"
 _ "cel.dev/cel-go/cel"
 _ "github.com/santhosh-tekuri/jsonschema/v6"
 _ "github.com/google/uuid"
 _ "go.uber.org/goleak"
 _ "golang.org/x/term"
)
