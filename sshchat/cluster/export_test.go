package cluster

// ReadModelApplies is how many room lines the read model was handed
// since the store opened (tests count what a restart reads again).
func (s *Store) ReadModelApplies() uint64 { return s.applies.Load() }
