-- wrk script: POSTs batches of Alertmanager-style alerts.
--
-- args: batch keyspace prefix path format repeats
--   batch     alerts per request (1)
--   keyspace  distinct new alerts per thread before they repeat (1e9)
--   prefix    makes this run's alerts distinct from earlier runs' ("r")
--   path      request path ("/api/v2/alerts", Alertmanager's API v2)
--   format    "postable": Alertmanager's API v2 body, a JSON array of alerts
--             (a bare object when batch is 1 and path is not Alertmanager's);
--             "webhook": Alertmanager's webhook payload, version 4, as
--             Alertmanager sends it to a webhook receiver (Firebreak's
--             Alertmanager intake). Default "postable".
--   repeats   how many alerts of each request are repeats, drawn in turn
--             from a set of 1,000 alerts shared by all threads (each is new
--             the first time it is sent); the rest are new (0). A share
--             such as "50%" spreads repeats over requests: with batch 1,
--             every other request is a repeat.
--
-- With format "postable", batch, keyspace and prefix as in the project's
-- baseline measurements of Alertmanager, this sends the same requests as
-- the baseline script did.
counter = 0
hot = 0
tcount = 0
function setup(thread)
  thread:set("tid", tcount)
  tcount = tcount + 1
end
function init(args)
  batch = tonumber(args[1]) or 1
  keyspace = tonumber(args[2]) or 1000000000
  prefix = args[3] or "r"
  path = args[4] or "/api/v2/alerts"
  format = args[5] or "postable"
  local r = args[6] or "0"
  if string.sub(r, -1) == "%" then
    share = (tonumber(string.sub(r, 1, -2)) or 0) / 100
  else
    share = nil
    repeats = tonumber(r) or 0
  end
  sent = 0
  hotsize = 1000
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
end
local function alert(k, instance)
  local extra = ""
  if format == "webhook" then
    extra = ',"status":"firing","startsAt":"2026-01-01T00:00:00Z"'
  end
  return string.format('{"labels":{"alertname":"Bench%d","service":"svc-%d","instance":"%s","severity":"critical"},"annotations":{"summary":"benchmark alert %d on %s"}%s}', k % 10, k % 50, instance, k, prefix, extra)
end
function request()
  local parts = {}
  if share then
    -- Repeats so far should be share * alerts so far, to the nearest alert.
    repeats = math.floor((sent + 1) * batch * share + 0.5) - math.floor(sent * batch * share + 0.5)
    sent = sent + 1
  end
  for i = 1, batch do
    if i <= repeats then
      local k = hot % hotsize
      hot = hot + 1
      parts[i] = alert(k, string.format("%s-hot-%d", prefix, k))
    else
      local k = counter % keyspace
      counter = counter + 1
      parts[i] = alert(k, string.format("%s-t%d-%d", prefix, tid, k))
    end
  end
  local body
  if format == "webhook" then
    body = '{"version":"4","groupKey":"{}:{}","truncatedAlerts":0,"status":"firing","receiver":"bench","groupLabels":{},"commonLabels":{},"commonAnnotations":{},"externalURL":"http://bench","alerts":[' .. table.concat(parts, ",") .. ']}'
  elseif batch == 1 and path ~= "/api/v2/alerts" then
    body = parts[1]
  else
    body = "[" .. table.concat(parts, ",") .. "]"
  end
  return wrk.format(nil, path, nil, body)
end
