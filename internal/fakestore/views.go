package fakestore

import "github.com/valcache/valcache/driver"

// The facade finds a provider's capabilities by type assertion, so a
// Store is handed out inside a view that embeds only the interfaces its
// Config asks for: the other methods of *Store stay out of sight.

// core is what every view offers.
type core interface {
	driver.Provider
	driver.Versioner
	driver.VersionGroups
	driver.LoadLocker
	driver.RefreshLocker
	driver.Swapper
	driver.Scanner
	driver.Budgeter
	driver.Pinger
}

type batch interface {
	driver.BatchGetter
	driver.BatchSetter
	driver.BatchDeleter
}

type (
	bare  struct{ core }
	plain struct {
		core
		batch
	}
	followedBare struct {
		core
		driver.FollowedVersions
	}
	followedView struct {
		core
		batch
		driver.FollowedVersions
	}
	cellsBare struct {
		core
		driver.VersionCells
	}
	cellsView struct {
		core
		batch
		driver.VersionCells
	}
	nearBare struct {
		core
		driver.NearCache
	}
	nearView struct {
		core
		batch
		driver.NearCache
	}
	nearFollowedBare struct {
		core
		driver.NearCache
		driver.FollowedVersions
	}
	nearFollowedView struct {
		core
		batch
		driver.NearCache
		driver.FollowedVersions
	}
)
