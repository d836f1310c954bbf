package client

// FetchSessions reports the fetch session id held with each broker.
func (c *Client) FetchSessions() map[int32]int32 {
	k := c.consumer
	k.mu.Lock()
	defer k.mu.Unlock()
	out := map[int32]int32{}
	for broker, s := range k.sessions {
		out[broker] = s.id
	}
	return out
}

// SkewFetchSessions puts every session's epoch out of step with the broker,
// as a lost response would, so the next fetch is refused.
func (c *Client) SkewFetchSessions() {
	k := c.consumer
	k.mu.Lock()
	defer k.mu.Unlock()
	for _, s := range k.sessions {
		if s.id != 0 {
			s.epoch += 7
		}
	}
}
