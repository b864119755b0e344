package demo

import (
	"math/rand/v2"
	"strconv"
)

// Module is one declared log-flow module of the demo platform: who owns it,
// who writes it, where its data flows and where it ends up. Every producer
// of a module writes every topic of the module and every group reads every
// topic of the module.
type Module struct {
	// Name is the module name, unique in the catalog, e.g. "hotel-search-log".
	Name string
	// Description says in one sentence what the data is.
	Description string
	// Owner is the team that owns the module and is paged for it.
	Owner string
	// Producers are the names of the services writing the module's topics;
	// each is also the Kafka client ID of its producer.
	Producers []string
	// Topics are the module's Kafka topics.
	Topics []string
	// Groups are all the consumer groups reading the module's topics, both
	// live groups and JobGroups.
	Groups []string
	// JobGroups is the subset of Groups committed by member-less stream jobs
	// (Flink/Spark style): they have committed offsets but never members.
	JobGroups []string
	// Sinks are the declared destinations of the module's groups, as
	// "<kind>:<name>", e.g. "es:hotel-search-*" or "hdfs:/logs/pay". They
	// are names only.
	Sinks []string
	// StallingGroup is the group whose consumer periodically slows down and
	// stalls (see the package documentation), or "" if none does.
	StallingGroup string
}

// moduleSpec is the catalog entry behind a Module, with what the platform
// needs to run it.
type moduleSpec struct {
	name, desc, owner string
	producers         []string
	rate              float64 // mean records/s over all topics at RateScale 1
	phase             float64 // diurnal phase shift, in days
	topics            []topicSpec
	groups            []groupSpec
	sinks             []string
}

// topicSpec is one topic of a module.
type topicSpec struct {
	name       string
	partitions int32
	share      float64 // share of the module's rate
	keyPrefix  string  // "" writes unkeyed records (sticky partitioning)
	keySpace   int     // number of distinct keys when keyPrefix is set
	fields     []field // value fields after "ts" and "seq"
}

// groupSpec is one consumer group of a module.
type groupSpec struct {
	name    string
	job     bool // member-less: direct client plus kadm commits
	members int  // live members; 0 means 1; ignored for jobs
	stalls  bool // runs the stall cycle
}

// field appends one JSON member of a record value.
type field struct {
	name string
	gen  func(b []byte, r *rand.Rand) []byte
}

func oneOf(name string, choices ...string) field {
	return field{name, func(b []byte, r *rand.Rand) []byte {
		return strconv.AppendQuote(b, choices[r.IntN(len(choices))])
	}}
}

func intIn(name string, lo, hi int) field {
	return field{name, func(b []byte, r *rand.Rand) []byte {
		return strconv.AppendInt(b, int64(lo+r.IntN(hi-lo+1)), 10)
	}}
}

func idOf(name, prefix string, n int) field {
	return field{name, func(b []byte, r *rand.Rand) []byte {
		b = append(b, '"')
		b = append(b, prefix...)
		b = strconv.AppendInt(b, int64(r.IntN(n)), 10)
		return append(b, '"')
	}}
}

func money(name string, lo, hi float64) field {
	return field{name, func(b []byte, r *rand.Rand) []byte {
		return strconv.AppendFloat(b, lo+r.Float64()*(hi-lo), 'f', 2, 64)
	}}
}

func flag(name string, p float64) field {
	return field{name, func(b []byte, r *rand.Rand) []byte {
		return strconv.AppendBool(b, r.Float64() < p)
	}}
}

func cities() []string {
	return []string{"SHA", "PEK", "CAN", "SZX", "CTU", "HGH", "XIY", "CKG", "NKG", "WUH", "HKG", "SYX"}
}

func platforms() []string { return []string{"ios", "android", "h5", "pc", "miniapp"} }

// stallModule is the name of the module whose consumer stalls periodically.
const stallModule = "hotdog-clicks"

// catalog returns the demo modules. It builds a fresh value on every call so
// that no state is shared between platforms.
func catalog() []moduleSpec {
	city := cities()
	plat := platforms()
	return []moduleSpec{
		{
			name: "hotel-search-log", owner: "team-hotel-search",
			desc:      "hotel list and detail searches from all apps",
			producers: []string{"hotel-search-api"}, rate: 180, phase: 0.02,
			topics: []topicSpec{{name: "hotel.search.log", partitions: 8, share: 1, fields: []field{
				oneOf("city", city...), oneOf("platform", plat...), idOf("uid", "u", 5_000_000),
				intIn("results", 0, 400), intIn("latency_ms", 8, 900),
			}}},
			groups: []groupSpec{
				{name: "hotel-search-es-indexer", members: 2},
				{name: "flink-hotel-search-sessionize", job: true},
			},
			sinks: []string{"es:hotel-search-*", "hdfs:/logs/hotel/search"},
		},
		{
			name: "flight-order-events", owner: "team-flight-trade",
			desc:      "flight order lifecycle events and ticketing status changes",
			producers: []string{"flight-order-service"}, rate: 60, phase: -0.03,
			topics: []topicSpec{
				{name: "flight.order.events", partitions: 6, share: 0.65, keyPrefix: "fo", keySpace: 200_000, fields: []field{
					oneOf("event", "created", "paid", "ticketed", "changed", "refunded"),
					oneOf("from", city...), oneOf("to", city...), money("amount", 280, 6800),
				}},
				{name: "flight.order.status", partitions: 4, share: 0.35, keyPrefix: "fo", keySpace: 200_000, fields: []field{
					oneOf("status", "PENDING", "ISSUED", "FAILED", "CANCELLED"), oneOf("gds", "travelsky", "amadeus", "sabre"),
				}},
			},
			groups: []groupSpec{
				{name: "flight-order-hbase-writer"},
				{name: "spark-flight-order-etl", job: true},
			},
			sinks: []string{"hbase:flight_orders", "hdfs:/warehouse/flight/orders"},
		},
		{
			name: "payment-audit", owner: "team-payment",
			desc:      "audit trail of payment authorisations, captures and refunds",
			producers: []string{"pay-gateway"}, rate: 30, phase: 0,
			topics: []topicSpec{{name: "payment.audit", partitions: 4, share: 1, keyPrefix: "pay", keySpace: 500_000, fields: []field{
				oneOf("op", "auth", "capture", "refund", "void"), oneOf("channel", "alipay", "wechat", "unionpay", "visa"),
				money("amount", 20, 9000), flag("risk_hold", 0.02),
			}}},
			groups: []groupSpec{
				{name: "payment-audit-archiver"},
				{name: "flink-payment-risk-score", job: true},
			},
			sinks: []string{"hdfs:/logs/pay", "es:payment-audit-*"},
		},
		{
			name: stallModule, owner: "team-growth",
			desc:      "clicks on the app's hot-deals feed, aggregated into click-through rates",
			producers: []string{"hotdog-feed-api"}, rate: 80, phase: 0.04,
			// One partition: a consumer slowed down to a few records a
			// second still advances it every second, so only the stall
			// itself reads as STALL (with several partitions, a slow
			// poller drains them in turn and the others stand still).
			topics: []topicSpec{{name: "hotdog.clicks", partitions: 1, share: 1, fields: []field{
				idOf("deal", "d", 20_000), oneOf("slot", "banner", "feed", "push", "search"),
				oneOf("platform", plat...), idOf("uid", "u", 5_000_000),
			}}},
			groups: []groupSpec{{name: "hotdog-ctr-aggregator", stalls: true}},
			sinks:  []string{"redis:hotdog-ctr", "es:hotdog-clicks-*"},
		},
		{
			name: "train-ticket-log", owner: "team-train",
			desc:      "train ticket queries and grab-ticket task updates",
			producers: []string{"train-query-service"}, rate: 90, phase: 0.01,
			topics: []topicSpec{{name: "train.ticket.query", partitions: 6, share: 1, fields: []field{
				oneOf("from", city...), oneOf("to", city...), oneOf("seat", "2nd", "1st", "business", "sleeper"),
				intIn("left", 0, 120), flag("grab_task", 0.1),
			}}},
			groups: []groupSpec{{name: "train-ticket-es-indexer"}},
			sinks:  []string{"es:train-ticket-*"},
		},
		{
			name: "user-session-tracking", owner: "team-user-platform",
			desc:      "login, page-view and logout events that drive the session store",
			producers: []string{"ubt-collector"}, rate: 120, phase: 0.03,
			topics: []topicSpec{{name: "user.session.events", partitions: 8, share: 1, keyPrefix: "u", keySpace: 5_000_000, fields: []field{
				oneOf("event", "login", "pv", "pv", "pv", "logout"), oneOf("platform", plat...), intIn("page", 1, 320),
			}}},
			groups: []groupSpec{
				{name: "session-redis-writer"},
				{name: "flink-session-window", job: true},
			},
			sinks: []string{"redis:session", "hbase:user_sessions"},
		},
		{
			name: "app-crash-report", owner: "team-mobile",
			desc:      "crash and ANR reports from the mobile apps",
			producers: []string{"crash-collector"}, rate: 10, phase: 0.05,
			topics: []topicSpec{{name: "app.crash.report", partitions: 4, share: 1, fields: []field{
				oneOf("os", "ios", "android"), oneOf("version", "8.61.0", "8.62.0", "8.62.1", "8.63.0"),
				oneOf("kind", "crash", "anr", "oom"), idOf("device", "dev", 1_000_000),
			}}},
			groups: []groupSpec{{name: "crash-symbolicator"}},
			sinks:  []string{"es:app-crash-*", "hdfs:/logs/app/crash"},
		},
		{
			name: "ad-impression-log", owner: "team-ads",
			desc:      "ad impressions and clicks for billing and reporting",
			producers: []string{"ad-server"}, rate: 150, phase: 0.02,
			topics: []topicSpec{
				{name: "ad.impression", partitions: 8, share: 0.86, fields: []field{
					idOf("ad", "ad", 50_000), idOf("slot", "s", 300), oneOf("platform", plat...), money("bid", 0.05, 3.5),
				}},
				{name: "ad.click", partitions: 4, share: 0.14, fields: []field{
					idOf("ad", "ad", 50_000), idOf("imp", "imp", 1_000_000_000), money("cost", 0.1, 6),
				}},
			},
			groups: []groupSpec{
				{name: "flink-ad-billing", job: true},
				{name: "ad-log-hdfs-loader"},
			},
			sinks: []string{"hbase:ad_billing", "hdfs:/logs/ads"},
		},
		{
			name: "price-change-stream", owner: "team-pricing",
			desc:      "hotel room price changes pushed by suppliers",
			producers: []string{"price-engine"}, rate: 70, phase: -0.02,
			topics: []topicSpec{{name: "hotel.price.change", partitions: 6, share: 1, keyPrefix: "h", keySpace: 400_000, fields: []field{
				idOf("room", "r", 40), money("old", 99, 3999), money("new", 99, 3999), oneOf("supplier", "direct", "expedia", "agoda", "meituan"),
			}}},
			groups: []groupSpec{{name: "price-cache-updater"}},
			sinks:  []string{"redis:hotel-price", "hbase:price_history"},
		},
		{
			name: "nginx-access-log", owner: "team-sre",
			desc:      "access logs of the edge nginx fleet in two regions",
			producers: []string{"nginx-edge-sha", "nginx-edge-pek"}, rate: 200, phase: 0.0,
			topics: []topicSpec{{name: "nginx.access.log", partitions: 8, share: 1, fields: []field{
				oneOf("method", "GET", "GET", "GET", "POST"), oneOf("path", "/api/hotel/list", "/api/flight/search", "/api/order", "/static/app.js", "/api/user"),
				oneOf("status", "200", "200", "200", "200", "304", "404", "499", "502"), intIn("rt_ms", 1, 1500),
			}}},
			groups: []groupSpec{
				{name: "logstash-nginx", members: 2},
				{name: "spark-nginx-abuse-detect", job: true},
			},
			sinks: []string{"es:nginx-access-*", "hdfs:/logs/nginx"},
		},
		{
			name: "ticket-inventory-cdc", owner: "team-vacation",
			desc:      "change data capture of attraction ticket inventory tables",
			producers: []string{"canal-inventory"}, rate: 25, phase: -0.04,
			topics: []topicSpec{{name: "ticket.inventory.cdc", partitions: 4, share: 1, keyPrefix: "sku", keySpace: 80_000, fields: []field{
				oneOf("op", "INSERT", "UPDATE", "UPDATE", "UPDATE", "DELETE"), oneOf("table", "ticket_sku", "ticket_stock", "ticket_price"),
				intIn("stock", 0, 5000),
			}}},
			groups: []groupSpec{{name: "inventory-hbase-sync"}},
			sinks:  []string{"hbase:ticket_inventory"},
		},
		{
			name: "customer-service-chat", owner: "team-customer-service",
			desc:      "customer service chat messages for search and quality review",
			producers: []string{"cs-im-gateway"}, rate: 20, phase: 0.06,
			topics: []topicSpec{{name: "cs.chat.messages", partitions: 4, share: 1, keyPrefix: "conv", keySpace: 100_000, fields: []field{
				oneOf("from", "customer", "agent", "bot"), oneOf("lang", "zh", "zh", "en", "ja", "ko"), intIn("len", 1, 400),
			}}},
			groups: []groupSpec{
				{name: "cs-chat-es-indexer"},
				{name: "spark-cs-quality", job: true},
			},
			sinks: []string{"es:cs-chat-*"},
		},
		{
			name: "car-rental-gps", owner: "team-car",
			desc:      "GPS tracks of rental and ride-hailing cars",
			producers: []string{"car-telematics"}, rate: 60, phase: 0.01,
			topics: []topicSpec{{name: "car.gps.track", partitions: 6, share: 1, keyPrefix: "car", keySpace: 30_000, fields: []field{
				money("lat", 22.4, 40.1), money("lng", 103.9, 121.6), intIn("speed", 0, 120),
			}}},
			groups: []groupSpec{{name: "flink-car-geofence", job: true}},
			sinks:  []string{"redis:car-location", "hdfs:/logs/car/gps"},
		},
		{
			name: "risk-control-events", owner: "team-risk",
			desc:      "risk control features and decisions for bookings and logins",
			producers: []string{"risk-engine"}, rate: 60, phase: 0.0,
			topics: []topicSpec{
				{name: "risk.control.events", partitions: 6, share: 0.6, keyPrefix: "u", keySpace: 5_000_000, fields: []field{
					oneOf("scene", "login", "booking", "payment", "coupon"), idOf("ip", "ip", 1_000_000), intIn("score", 0, 100),
				}},
				{name: "risk.control.decisions", partitions: 4, share: 0.4, keyPrefix: "u", keySpace: 5_000_000, fields: []field{
					oneOf("decision", "pass", "pass", "pass", "review", "reject"), oneOf("rule", "r-velocity", "r-device", "r-geo", "r-blacklist"),
				}},
			},
			groups: []groupSpec{
				{name: "flink-risk-features", job: true},
				{name: "risk-decision-archiver"},
			},
			sinks: []string{"redis:risk-features", "hbase:risk_decisions"},
		},
	}
}

// module returns the exported view of s.
func (s *moduleSpec) module() Module {
	m := Module{
		Name:        s.name,
		Description: s.desc,
		Owner:       s.owner,
		Producers:   append([]string(nil), s.producers...),
		Sinks:       append([]string(nil), s.sinks...),
	}
	for _, t := range s.topics {
		m.Topics = append(m.Topics, t.name)
	}
	for _, g := range s.groups {
		m.Groups = append(m.Groups, g.name)
		if g.job {
			m.JobGroups = append(m.JobGroups, g.name)
		}
		if g.stalls {
			m.StallingGroup = g.name
		}
	}
	return m
}

// topicNames returns the names of the module's topics.
func (s *moduleSpec) topicNames() []string {
	names := make([]string, len(s.topics))
	for i, t := range s.topics {
		names[i] = t.name
	}
	return names
}
