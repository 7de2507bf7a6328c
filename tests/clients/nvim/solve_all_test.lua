-- Drives a real :PacoreSolveAll in headless Neovim and writes what happened to a JSON file.
-- Environment: PACORE_TEST_FILE (the module), PACORE_TEST_RESULT (output JSON path).
local out = { progress = {}, notifications = {}, steps = {} }

local function buffer_text(bufnr)
  return table.concat(vim.api.nvim_buf_get_lines(bufnr, 0, -1, false), "\n") .. "\n"
end

local function finish(err)
  out.error = err
  local f = assert(io.open(vim.env.PACORE_TEST_RESULT, "w"))
  f:write(vim.json.encode(out))
  f:close()
  vim.cmd("qa!")
end

local ok, err = xpcall(function()
  local notify = vim.notify
  vim.notify = function(msg, level, opts)
    table.insert(out.notifications, { message = tostring(msg), level = level or vim.log.levels.INFO })
    return notify(msg, level, opts)
  end
  vim.api.nvim_create_autocmd("LspProgress", {
    callback = function(ev)
      table.insert(out.progress, ev.data.params.value)
    end,
  })
  vim.cmd.edit(vim.fn.fnameescape(vim.env.PACORE_TEST_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  assert(vim.wait(30000, function()
    local client = vim.lsp.get_clients({ bufnr = bufnr, name = "pacore" })[1]
    return client ~= nil and client.initialized
  end, 50), "the pacore client did not attach")
  table.insert(out.steps, "attached")
  vim.cmd("PacoreSolveAll")
  local state = require("pacore").state
  assert(vim.wait(30000, function()
    return state.last_solve ~= nil
  end, 50), "pacore.solveAll did not answer")
  out.started = state.last_solve
  assert(vim.wait(240000, function()
    for _, p in ipairs(out.progress) do
      if p.kind == "end" then
        return true
      end
    end
    return false
  end, 100), "the run did not end")
  -- the last stub's edit may arrive just after the progress end: wait for it (bounded)
  vim.wait(15000, function()
    return not buffer_text(bufnr):find("\n    %.%.%.\n")
  end, 100)
  vim.wait(1000) -- an edit arriving after that would show up here
  out.text = buffer_text(bufnr)
  out.modified = vim.bo[bufnr].modified
end, debug.traceback)
finish(not ok and err or nil)
