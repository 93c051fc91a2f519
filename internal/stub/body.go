package stub

import "context"

type bodyKey struct{}

func withBody(ctx context.Context, body any) context.Context {
	return context.WithValue(ctx, bodyKey{}, body)
}

func bodyFrom(ctx context.Context) any { return ctx.Value(bodyKey{}) }
