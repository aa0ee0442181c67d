package main

import (
	"context"

	"certkiosk/sync/central"
	"certkiosk/sync/central/pgstore"
)

func openPostgres(ctx context.Context, url string) (central.Storage, error) {
	return pgstore.Open(ctx, url)
}
