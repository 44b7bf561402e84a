package sanitize

import "testing"

func TestSkeletonFoldsLookAlikes(t *testing.T) {
	same := [][]string{
		{"alice", "aIice", "a1ice", "ALICE", "a|ice", "AlIce"},
		{"bob", "b0b", "BOB", "bOb"},
		{"mallory", "rnallory", "rnaIIory"},
		{"walter", "vvalter", "VValter"},
		{"dave", "clave"},
	}
	for _, group := range same {
		for _, n := range group[1:] {
			if Skeleton(n) != Skeleton(group[0]) {
				t.Errorf("Skeleton(%q) = %q, Skeleton(%q) = %q: want the same", n, Skeleton(n), group[0], Skeleton(group[0]))
			}
		}
	}
	for _, pair := range [][2]string{{"alice", "alicia"}, {"bob", "rob"}, {"alice", "alice_2"}, {"ann", "anna"}} {
		if Skeleton(pair[0]) == Skeleton(pair[1]) {
			t.Errorf("%q and %q fold to the same skeleton %q", pair[0], pair[1], Skeleton(pair[0]))
		}
	}
}
