package store

import "testing"

// Both dialects must know the same versions, or a database could not move
// between them and SchemaVersion would lie for one.
func TestMigrationsMatchAcrossDialects(t *testing.T) {
	lite, err := migrations(sqliteDialect)
	if err != nil {
		t.Fatal(err)
	}
	pg, err := migrations(postgresDialect)
	if err != nil {
		t.Fatal(err)
	}
	if len(lite) == 0 || len(lite) != len(pg) {
		t.Fatalf("%d sqlite and %d postgres migrations", len(lite), len(pg))
	}
	for i := range lite {
		if lite[i].name != pg[i].name || lite[i].version != i+1 {
			t.Errorf("migration %d: sqlite %s, postgres %s; want the same name, numbered from 1 without gaps", i+1, lite[i].name, pg[i].name)
		}
	}
	if SchemaVersion() != len(lite) {
		t.Errorf("SchemaVersion() = %d, want %d", SchemaVersion(), len(lite))
	}
}
