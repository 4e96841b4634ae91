-- wrk script of the service bench for pages (HTML, not GraphQL): requests.lua without its
-- look at each body. With a response() function wrk hands Lua every body, megabytes for a
-- release page, and at a few dozen pages a second that measures wrk rather than the service.
-- A page counts as failed on its status alone (wrk's own count of non-2xx answers). Pages are
-- asked for as a browser asks for them, accepting gzip.

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
dofile(here .. "requests.lua")
response = nil
local json_init = init
function init(args)
  json_init(args)
  headers["Accept-Encoding"] = "gzip, deflate, br"
end
