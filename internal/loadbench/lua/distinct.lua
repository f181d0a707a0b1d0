-- A different valid token on every request, so no verification cache can
-- help. Arguments (after wrk's "--"): tokens-file offset threads.
-- Thread t sends tokens offset+t, offset+t+threads, offset+t+2*threads, …
-- so the threads never send the same token until the file is used up.
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
end

function init(args)
  tokens = {}
  for line in io.lines(args[1]) do
    if #line > 0 then tokens[#tokens + 1] = line end
  end
  if #tokens == 0 then error("no tokens in " .. args[1]) end
  step = tonumber(args[3])
  index = tonumber(args[2]) + tid
  headers = {}
end

function request()
  headers["Authorization"] = "Bearer " .. tokens[(index % #tokens) + 1]
  index = index + step
  return wrk.format("GET", nil, headers, nil)
end
