package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/runbookhq/runbook"
)

// WithSearchPath returns uri with its search_path set to schema, so that
// a Store opened on it keeps its tables there.
func WithSearchPath(uri, schema string) (string, error) {
	u, err := url.Parse(uri)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		return "", runbook.Errorf(runbook.EINVALID, "%s: want a URL such as postgres://user@host:5432/database", Redact(uri))
	}
	// The other parameters stay as they are written: re-encoding them
	// would turn the spaces of options=-c%20a=b into "+", which the
	// driver does not read back as spaces.
	var params []string
	for _, p := range strings.Split(u.RawQuery, "&") {
		if name, _, _ := strings.Cut(p, "="); p != "" && name != "search_path" {
			params = append(params, p)
		}
	}
	params = append(params, "search_path="+strings.ReplaceAll(url.QueryEscape(schema), "+", "%20"))
	u.RawQuery = strings.Join(params, "&")
	return u.String(), nil
}

// TempSchema creates an empty schema with a random name that starts with
// prefix in the database at uri, for tests and benchmarks, and returns a
// URI whose connections keep their tables there and a function that drops
// the schema with everything in it.
func TempSchema(ctx context.Context, uri, prefix string) (schemaURI string, drop func(context.Context) error, err error) {
	var random [8]byte
	_, _ = rand.Read(random[:]) // never fails
	name := prefix + hex.EncodeToString(random[:])
	if schemaURI, err = WithSearchPath(uri, name); err != nil {
		return "", nil, err
	}
	exec := func(ctx context.Context, sql string) error {
		cfg, err := parseConfig(uri)
		if err != nil {
			return err
		}
		conn, err := pgx.ConnectConfig(ctx, cfg.ConnConfig)
		if err != nil {
			return connectError("connect to", Redact(uri), err)
		}
		defer conn.Close(context.WithoutCancel(ctx))
		_, err = conn.Exec(ctx, sql)
		return err
	}
	ident := pgx.Identifier{name}.Sanitize()
	if err := exec(ctx, `CREATE SCHEMA `+ident); err != nil {
		return "", nil, fmt.Errorf("create schema %s: %w", name, err)
	}
	drop = func(ctx context.Context) error {
		if err := exec(ctx, `DROP SCHEMA `+ident+` CASCADE`); err != nil {
			return fmt.Errorf("drop schema %s: %w", name, err)
		}
		return nil
	}
	return schemaURI, drop, nil
}
