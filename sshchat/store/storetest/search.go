package storetest

import (
	"fmt"
	"testing"

	"github.com/sshchat/sshchat/sshchat/store"
)

// Conformance of Searcher, the optional full-text search.

func testSearch(t *testing.T, st store.Store) {
	s, ok := st.(store.Searcher)
	if !ok {
		t.Skip("the store has no full-text search (an optional capability)")
	}
	AppendWait(t, st,
		Msg("#dev", 1, "Deploying the NEW build"),
		Msg("#dev", 2, "lunch?"),
		Msg("#dev", 3, "the build is green"),
		Msg("#dev", 4, "build deployed to prod"),
		Msg("#ops", 1, "build on ops"),
		Msg("#dev", 5, "100% done; it's fine"),
	)
	cases := []struct {
		query string
		limit int
		want  []string
	}{
		{"build", 10, []string{"Deploying the NEW build", "the build is green", "build deployed to prod"}},
		{"BUILD", 2, []string{"the build is green", "build deployed to prod"}},
		{"new Build", 10, []string{"Deploying the NEW build"}},
		{"deploy", 10, []string{"Deploying the NEW build", "build deployed to prod"}},
		{"green prod", 10, nil},
		{"100%", 10, []string{"100% done; it's fine"}},
		{`"it's" *`, 10, []string{"100% done; it's fine"}},
		{"nothing", 10, nil},
		{"", 10, nil},
		{"  %%  ", 10, nil},
		{"build", 0, nil},
	}
	for _, c := range cases {
		got, err := s.Search(ctx(t), "#dev", c.query, c.limit)
		if err != nil {
			t.Errorf("Search(%q): %v", c.query, err)
			continue
		}
		wantTexts(t, fmt.Sprintf("Search(%q, %d)", c.query, c.limit), got, c.want...)
	}
	got, err := s.Search(ctx(t), "#ops", "build", 10)
	must(t, err)
	wantTexts(t, "Search(#ops)", got, "build on ops")
	if len(got) == 1 && got[0].Seq != 1 {
		t.Errorf("Search result seq = %d, want 1", got[0].Seq)
	}
}
