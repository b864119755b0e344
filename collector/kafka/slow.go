package kafka

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/twmb/franz-go/pkg/kadm"
	"github.com/twmb/franz-go/pkg/kerr"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/pipewatch/pipewatch/collector"
)

// The group types of ListGroups v5 (KIP-848), as the broker names them.
const (
	groupTypeClassic  = "classic"
	groupTypeConsumer = "consumer"
	groupTypeShare    = "share"
)

// snapshot is what the slow path learned about the cluster in one refresh:
// topics with their partitions, cleanup policy and log start offsets, and
// groups with their type, state, members and assignments. The fast path
// reads it without copying, so a snapshot is never modified once published.
type snapshot struct {
	at      time.Time
	brokers int
	topics  map[string]*topicMeta
	// topicNames are the names of topics, sorted, for ListOffsets.
	topicNames []string
	groups     map[string]*groupMeta
	// groupNames are the names of groups whose offsets are fetched, sorted.
	groupNames []string
	// endsReq lists the end offsets of every partition of topics.
	endsReq *kmsg.ListOffsetsRequest
	// offsetsReq fetches the committed offsets of every group of groupNames.
	offsetsReq *kmsg.OffsetFetchRequest
	// producers holds the producer figures of each topic, nil when they
	// are not collected (Config.Producers off, or no broker supports
	// DescribeProducers).
	producers map[string]producerStats
	// err says what this refresh could not learn; the rest is usable.
	err error
	// fatal is set when nothing at all could be learned and there was no
	// earlier snapshot to fall back on.
	fatal bool
}

// topicMeta is one topic in a snapshot.
type topicMeta struct {
	partitions int32
	// policy is the cleanup.policy, "" if unknown.
	policy string
	// logStart holds the log start offset of each partition, -1 if unknown.
	logStart []int64
}

// compactOnly reports whether the topic is compacted and not also deleted
// by retention. Compaction removes only records superseded by later ones
// with the same key, so a group behind its log start loses nothing.
func (t *topicMeta) compactOnly() bool {
	if t == nil {
		return false
	}
	compact, del := false, false
	for p := range strings.SplitSeq(t.policy, ",") {
		switch strings.TrimSpace(p) {
		case "compact":
			compact = true
		case "delete":
			del = true
		}
	}
	return compact && !del
}

// lossStartOf returns the offset below which a committed offset means
// unread records were deleted: the log start offset of partition p, or -1
// if it is unknown or the topic is compacted only.
func (t *topicMeta) lossStartOf(p int32) int64 {
	if t.compactOnly() {
		return -1
	}
	return t.logStartOf(p)
}

// logStartOf returns the log start offset of partition p, or -1.
func (t *topicMeta) logStartOf(p int32) int64 {
	if t == nil || int(p) >= len(t.logStart) {
		return -1
	}
	return t.logStart[p]
}

// groupMeta is one group in a snapshot.
type groupMeta struct {
	name, typ, state string
	// described is true when the group's members are known.
	described bool
	members   []memberMeta
	// assignmentKnown is true when every member's assignment could be
	// decoded; then assigned says which partitions live members hold.
	assignmentKnown bool
	assigned        map[string]map[int32]struct{}
}

// memberMeta is one live member of a group.
type memberMeta struct {
	clientID, host string
	// topics counts the partitions assigned to the member, per topic.
	topics map[string]int
}

// live reports whether a live member of g holds topic t's partition p, or
// g has members whose assignment is unknown.
func (g *groupMeta) live(t string, p int32) bool {
	if g == nil || len(g.members) == 0 {
		return false
	}
	if !g.assignmentKnown {
		return true
	}
	_, ok := g.assigned[t][p]
	return ok
}

// liveOnTopic reports whether any live member of g may consume topic t.
func (g *groupMeta) liveOnTopic(t string) bool {
	if g == nil || len(g.members) == 0 {
		return false
	}
	return !g.assignmentKnown || len(g.assigned[t]) > 0
}

// refresh runs one slow-path round: it lists topics, groups and log start
// offsets, describes groups and reads topic cleanup policies, concurrently.
// Whatever fails is taken from prev (if any) and reported in the result's
// err.
func (c *Collector) refresh(ctx context.Context, prev *snapshot) *snapshot {
	s := &snapshot{at: c.now()}
	var (
		wg                              sync.WaitGroup
		topicErr, groupErr, producerErr error
	)
	topicIDsKnown := make(chan struct{})
	wg.Go(func() {
		topicErr = c.refreshTopics(ctx, s, prev)
		close(topicIDsKnown)
		if s.topics == nil {
			s.fatal = true
			s.topics = map[string]*topicMeta{}
		}
		for name := range s.topics {
			s.topicNames = append(s.topicNames, name)
		}
		slices.Sort(s.topicNames)
		if c.cfg.Producers && !s.fatal {
			producerErr = c.refreshProducers(ctx, s, prev)
		}
	})
	wg.Go(func() { groupErr = c.refreshGroups(ctx, s, prev, topicIDsKnown) })
	wg.Wait()
	s.err = errors.Join(topicErr, groupErr, producerErr)
	if s.groups == nil {
		s.groups = map[string]*groupMeta{}
	}
	for name, g := range s.groups {
		if g.typ != groupTypeShare { // share groups keep no consumer offsets
			s.groupNames = append(s.groupNames, name)
		}
	}
	slices.Sort(s.groupNames)
	s.endsReq = endOffsetsRequest(s)
	s.offsetsReq = offsetsRequest(s)
	return s
}

// refreshTopics fills s.topics and s.brokers. On a metadata failure it
// keeps prev's topics. The metadata request bypasses the client's cache, so
// that an early refresh sees a topic created a moment ago.
func (c *Collector) refreshTopics(ctx context.Context, s *snapshot, prev *snapshot) error {
	md, err := kmsg.NewPtrMetadataRequest().RequestWith(ctx, c.cl)
	if err != nil {
		if prev != nil && !prev.fatal {
			s.topics, s.brokers = prev.topics, prev.brokers
		}
		return fmt.Errorf("list topics: %w", err)
	}
	s.brokers = len(md.Brokers)
	s.topics = make(map[string]*topicMeta, len(md.Topics))
	ids := make(map[[16]byte]string, len(md.Topics))
	var errs []error
	for _, td := range md.Topics {
		if td.Topic == nil {
			continue
		}
		name := *td.Topic
		ids[td.TopicID] = name
		if td.IsInternal {
			continue
		}
		if err := kerr.ErrorForCode(td.ErrorCode); err != nil {
			if !errors.Is(err, kerr.UnknownTopicOrPartition) {
				errs = append(errs, fmt.Errorf("describe topic %q: %w", name, err))
			}
			continue
		}
		tm := &topicMeta{partitions: int32(len(td.Partitions))}
		tm.logStart = make([]int64, tm.partitions)
		for i := range tm.logStart {
			tm.logStart[i] = -1
		}
		s.topics[name] = tm
	}
	c.topicIDs.Store(ids)
	if len(s.topics) == 0 {
		return errors.Join(errs...)
	}
	names := make([]string, 0, len(s.topics))
	for name := range s.topics {
		names = append(names, name)
	}
	var wg sync.WaitGroup
	var startErr, cfgErr error
	var starts kadm.ListedOffsets
	var policies map[string]string
	wg.Go(func() { starts, startErr = c.adm.ListStartOffsets(ctx, names...) })
	wg.Go(func() { policies, cfgErr = c.cleanupPolicies(ctx, names) })
	wg.Wait()
	if startErr != nil {
		errs = append(errs, fmt.Errorf("list log start offsets: %w", startErr))
	}
	starts.Each(func(o kadm.ListedOffset) {
		tm := s.topics[o.Topic]
		if tm == nil || o.Partition < 0 || o.Partition >= tm.partitions {
			return
		}
		if o.Err != nil {
			if !errors.Is(o.Err, kerr.UnknownTopicOrPartition) {
				errs = append(errs, fmt.Errorf("list log start offset of %s/%d: %w", o.Topic, o.Partition, o.Err))
			}
			return
		}
		tm.logStart[o.Partition] = o.Offset
	})
	if cfgErr != nil {
		errs = append(errs, cfgErr)
	}
	for name, p := range policies {
		if tm := s.topics[name]; tm != nil {
			tm.policy = p
		}
	}
	// Keep what was known of partitions and topics that failed this time:
	// log start offsets only grow, so an old one is a lower bound.
	if prev != nil {
		for name, tm := range s.topics {
			pt := prev.topics[name]
			if pt == nil {
				continue
			}
			if tm.policy == "" {
				tm.policy = pt.policy
			}
			for p, ls := range tm.logStart {
				if ls < 0 && p < len(pt.logStart) {
					tm.logStart[p] = pt.logStart[p]
				}
			}
		}
	}
	return joinLimited(errs)
}

// cleanupPolicies reads the cleanup.policy of topics with one
// DescribeConfigs request that asks for that key only.
func (c *Collector) cleanupPolicies(ctx context.Context, topics []string) (map[string]string, error) {
	req := kmsg.NewPtrDescribeConfigsRequest()
	for _, t := range topics {
		r := kmsg.NewDescribeConfigsRequestResource()
		r.ResourceType = kmsg.ConfigResourceTypeTopic
		r.ResourceName = t
		r.ConfigNames = []string{"cleanup.policy"}
		req.Resources = append(req.Resources, r)
	}
	resp, err := req.RequestWith(ctx, c.cl)
	if err != nil {
		return nil, fmt.Errorf("describe topic configs: %w", err)
	}
	out := make(map[string]string, len(resp.Resources))
	var errs []error
	for _, r := range resp.Resources {
		if err := kerr.ErrorForCode(r.ErrorCode); err != nil {
			if !errors.Is(err, kerr.UnknownTopicOrPartition) {
				errs = append(errs, fmt.Errorf("describe configs of topic %q: %w", r.ResourceName, err))
			}
			continue
		}
		for _, cfg := range r.Configs {
			if cfg.Name == "cleanup.policy" && cfg.Value != nil {
				out[r.ResourceName] = *cfg.Value
			}
		}
	}
	return out, joinLimited(errs)
}

// refreshGroups lists every group of every type and describes the classic
// and consumer (KIP-848) ones. Groups that a failing coordinator could not
// list are taken from prev. Consumer groups may name their topics by ID
// only, so their assignments are read once topicIDsKnown is closed, after
// this round's metadata request.
func (c *Collector) refreshGroups(ctx context.Context, s *snapshot, prev *snapshot, topicIDsKnown <-chan struct{}) error {
	req := kmsg.NewPtrListGroupsRequest() // no TypesFilter: every type
	shards := c.cl.RequestSharded(ctx, req)
	groups := map[string]*groupMeta{}
	var errs []error
	listFailed := false
	for _, sh := range shards {
		if sh.Err != nil {
			listFailed = true
			errs = append(errs, fmt.Errorf("list groups on broker %d: %w", sh.Meta.NodeID, sh.Err))
			continue
		}
		resp := sh.Resp.(*kmsg.ListGroupsResponse)
		if err := kerr.ErrorForCode(resp.ErrorCode); err != nil {
			listFailed = true
			errs = append(errs, fmt.Errorf("list groups on broker %d: %w", sh.Meta.NodeID, err))
			continue
		}
		for _, g := range resp.Groups {
			typ := g.GroupType
			if typ == "" { // brokers before 3.8 know only classic groups
				typ = groupTypeClassic
			}
			groups[g.Group] = &groupMeta{name: g.Group, typ: typ, state: g.GroupState}
		}
	}
	if listFailed && prev != nil {
		for name, g := range prev.groups {
			if _, ok := groups[name]; !ok {
				groups[name] = g
			}
		}
	}
	var classic, consumer []string
	for name, g := range groups {
		if g.described { // carried over from prev
			continue
		}
		switch g.typ {
		case groupTypeClassic:
			classic = append(classic, name)
		case groupTypeConsumer:
			consumer = append(consumer, name)
		}
	}
	var wg sync.WaitGroup
	var classicErr, consumerErr error
	var described kadm.DescribedGroups
	if len(classic) > 0 {
		wg.Go(func() { described, classicErr = c.adm.DescribeGroups(ctx, classic...) })
	}
	var described848 []kmsg.ConsumerGroupDescribeResponseGroup
	if len(consumer) > 0 {
		wg.Go(func() { described848, consumerErr = c.describeConsumerGroups(ctx, consumer) })
	}
	wg.Wait()
	if classicErr != nil {
		errs = append(errs, fmt.Errorf("describe groups: %w", classicErr))
	}
	if consumerErr != nil {
		errs = append(errs, fmt.Errorf("describe consumer groups: %w", consumerErr))
	}
	for name, d := range described {
		g := groups[name]
		if g == nil {
			continue
		}
		if d.Err != nil {
			if !errors.Is(d.Err, kerr.GroupIDNotFound) {
				errs = append(errs, fmt.Errorf("describe group %q: %w", name, d.Err))
			}
			continue
		}
		fillClassic(g, &d)
	}
	if len(described848) > 0 {
		<-topicIDsKnown
	}
	ids, _ := c.topicIDs.Load().(map[[16]byte]string)
	for i := range described848 {
		d := &described848[i]
		g := groups[d.Group]
		if g == nil {
			continue
		}
		if err := kerr.ErrorForCode(d.ErrorCode); err != nil {
			if !errors.Is(err, kerr.GroupIDNotFound) {
				errs = append(errs, fmt.Errorf("describe consumer group %q: %w", d.Group, err))
			}
			continue
		}
		fillConsumer(g, d, ids)
	}
	s.groups = groups
	return joinLimited(errs)
}

// fillClassic records the state, members and assignments of a classic
// group. Assignments are known for the consumer protocol only.
func fillClassic(g *groupMeta, d *kadm.DescribedGroup) {
	g.described = true
	if d.State != "" {
		g.state = d.State
	}
	g.assignmentKnown = true
	g.assigned = map[string]map[int32]struct{}{}
	for _, m := range d.Members {
		mm := memberMeta{clientID: m.ClientID, host: m.ClientHost, topics: map[string]int{}}
		a, ok := m.Assigned.AsConsumer()
		if !ok || d.ProtocolType != "consumer" {
			g.assignmentKnown = false
		} else {
			for _, t := range a.Topics {
				mm.topics[t.Topic] += len(t.Partitions)
				addAssigned(g, t.Topic, t.Partitions)
			}
		}
		g.members = append(g.members, mm)
	}
}

// fillConsumer records the state, members and assignments of a KIP-848
// consumer group, naming topics the response gives only by ID.
func fillConsumer(g *groupMeta, d *kmsg.ConsumerGroupDescribeResponseGroup, ids map[[16]byte]string) {
	g.described = true
	if d.State != "" {
		g.state = d.State
	}
	g.assignmentKnown = true
	g.assigned = map[string]map[int32]struct{}{}
	for _, m := range d.Members {
		mm := memberMeta{clientID: m.ClientID, host: m.ClientHost, topics: map[string]int{}}
		for _, tp := range m.Assignment.TopicPartitions {
			name := tp.Topic
			if name == "" {
				name = ids[tp.TopicID]
			}
			if name == "" {
				g.assignmentKnown = false
				continue
			}
			mm.topics[name] += len(tp.Partitions)
			addAssigned(g, name, tp.Partitions)
		}
		g.members = append(g.members, mm)
	}
}

func addAssigned(g *groupMeta, topic string, partitions []int32) {
	ps := g.assigned[topic]
	if ps == nil {
		ps = map[int32]struct{}{}
		g.assigned[topic] = ps
	}
	for _, p := range partitions {
		ps[p] = struct{}{}
	}
}

// describeConsumerGroups describes KIP-848 consumer groups. kadm's
// DescribeConsumerGroups drops the topic IDs that some brokers send instead
// of names, so the request is issued directly.
func (c *Collector) describeConsumerGroups(ctx context.Context, groups []string) ([]kmsg.ConsumerGroupDescribeResponseGroup, error) {
	req := kmsg.NewPtrConsumerGroupDescribeRequest()
	req.Groups = groups
	var out []kmsg.ConsumerGroupDescribeResponseGroup
	var errs []error
	for _, sh := range c.cl.RequestSharded(ctx, req) {
		if sh.Err != nil {
			errs = append(errs, fmt.Errorf("on broker %d: %w", sh.Meta.NodeID, sh.Err))
			continue
		}
		out = append(out, sh.Resp.(*kmsg.ConsumerGroupDescribeResponse).Groups...)
	}
	return out, errors.Join(errs...)
}

// maxJoinedErrors bounds how many errors one report spells out, so that a
// cluster-wide failure does not produce a 10,000-line error.
const maxJoinedErrors = 5

// joinLimited joins errs, spelling out the first maxJoinedErrors and
// counting the others.
func joinLimited(errs []error) error {
	e := collector.Errors{Max: maxJoinedErrors}
	for _, err := range errs {
		e.Add(err)
	}
	return e.Err()
}

// metadataLoop runs the slow path until ctx is done: a refresh at once,
// then every metadata_interval, or sooner (but not more often than every
// collect_interval) when the fast path saw the cluster change. It also
// answers the fast path's requests for history anchors.
func (c *Collector) metadataLoop(ctx context.Context) {
	interval := time.Duration(c.cfg.MetadataInterval)
	minGap := time.Duration(c.cfg.CollectInterval)
	timeout := max(interval, 10*time.Second)
	var prev *snapshot
	for {
		rctx, cancel := context.WithTimeout(ctx, timeout)
		s := c.refresh(rctx, prev)
		cancel()
		if ctx.Err() != nil {
			return
		}
		if s.err != nil {
			c.logger.Debug("refresh metadata", "err", s.err)
		}
		c.publish(s)
		last := time.Now()
		next := interval
		if s.fatal {
			// Nothing known yet: try again soon rather than fail
			// every round for a whole interval.
			next = max(minGap, time.Second)
		} else {
			prev = s
		}

		timer := time.NewTimer(next)
	wait:
		for {
			select {
			case <-ctx.Done():
				timer.Stop()
				return
			case <-timer.C:
				break wait
			case <-c.refreshSoon:
				if d := minGap - time.Since(last); d > 0 {
					select {
					case <-ctx.Done():
						timer.Stop()
						return
					case <-time.After(d):
					}
				}
				timer.Stop()
				break wait
			case <-c.anchorWanted:
				c.fetchAnchors(ctx, timeout)
			}
		}
	}
}

// publish makes s the snapshot the fast path uses.
func (c *Collector) publish(s *snapshot) {
	c.snapMu.Lock()
	c.snap = s
	c.snapMu.Unlock()
	c.readyOnce.Do(func() { close(c.ready) })
}

// requestRefresh asks the slow path for an early refresh, without blocking.
func (c *Collector) requestRefresh() {
	select {
	case c.refreshSoon <- struct{}{}:
	default:
	}
}

// anchorAges are how far back the slow path asks the brokers for the end
// offset of a partition (ListOffsets by timestamp) when a group is behind
// the start of that partition's end-offset history.
// Between two anchors the time of an offset is interpolated, so the
// spacing bounds the error where the produce rate varied.
var anchorAges = [...]time.Duration{
	10 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 5 * time.Minute,
	10 * time.Minute, 30 * time.Minute, time.Hour, 2 * time.Hour, 6 * time.Hour,
	12 * time.Hour, 24 * time.Hour, 3 * 24 * time.Hour, 7 * 24 * time.Hour,
}

// anchor is one point of history learned from the brokers.
type anchor struct {
	topic     string
	partition int32
	at        offsetTime
}

// fetchAnchors answers the pending anchor requests. For each age in
// anchorAges, youngest first, it asks the brokers for the first offset
// written at or after that time, which is exactly the end offset at that
// time as long as it is above the log start (older records exist). A
// partition is done once an answer reaches below the committed offset that
// needed it, or the log start. The anchors are handed to the fast path,
// which merges them into its histories at the start of its next round.
func (c *Collector) fetchAnchors(ctx context.Context, timeout time.Duration) {
	c.anchorMu.Lock()
	open := c.anchorReq
	c.anchorReq = nil
	c.anchorMu.Unlock()
	if len(open) == 0 {
		return
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	now := c.now()
	var out []anchor
	for _, age := range anchorAges {
		if len(open) == 0 || ctx.Err() != nil {
			break
		}
		at := now.Add(-age).UnixMilli()
		byTopic := map[string][]int32{}
		for tp := range open {
			byTopic[tp.topic] = append(byTopic[tp.topic], tp.partition)
		}
		req := kmsg.NewPtrListOffsetsRequest()
		req.ReplicaID = -1
		for topic, parts := range byTopic {
			rt := kmsg.NewListOffsetsRequestTopic()
			rt.Topic = topic
			for _, p := range parts {
				rp := kmsg.NewListOffsetsRequestTopicPartition()
				rp.Partition = p
				rp.Timestamp = at
				rt.Partitions = append(rt.Partitions, rp)
			}
			req.Topics = append(req.Topics, rt)
		}
		for _, sh := range c.cl.RequestSharded(ctx, req) {
			if sh.Err != nil {
				continue // retried with the next age, or never: anchors are a refinement
			}
			for _, t := range sh.Resp.(*kmsg.ListOffsetsResponse).Topics {
				for _, p := range t.Partitions {
					tp := topicPartition{t.Topic, p.Partition}
					need, ok := open[tp]
					if !ok || p.ErrorCode != 0 || p.Offset < 0 {
						continue // -1: nothing written since; try older
					}
					if p.Offset <= need.logStart {
						delete(open, tp) // every retained record is newer
						continue
					}
					out = append(out, anchor{topic: t.Topic, partition: p.Partition, at: offsetTime{off: p.Offset, t: at}})
					if p.Offset <= need.below {
						delete(open, tp)
					}
				}
			}
		}
	}
	c.anchorMu.Lock()
	c.anchors = append(c.anchors, out...)
	c.anchorMu.Unlock()
}
