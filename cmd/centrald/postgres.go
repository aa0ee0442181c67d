package main

import (
	"context"

	"certkiosk/central"
	"certkiosk/central/pgstore"
)

func openPostgres(ctx context.Context, url string) (central.Storage, error) {
	return pgstore.Open(ctx, url)
}
