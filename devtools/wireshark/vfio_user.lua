-- SPDX-License-Identifier: BSD-3-Clause
-- Copyright(c) 2026 The librte_vfio_user authors
--
-- Wireshark dissector for vfio-user (QEMU docs/interop/vfio-user.rst) as
-- recorded by librte_vfio_user: rte_vfio_user_capture_start() and the
-- proxy dpdk-vfio-user-capture write pcap files of link type DLT_USER0
-- (147) whose records are a 16-byte capture header
-- (struct rte_vfio_user_capture_hdr, little-endian) followed by one
-- vfio-user message (16-byte header and payload, possibly cut at the
-- capture's snaplen).
--
--   wireshark -X lua_script:devtools/wireshark/vfio_user.lua FILE.pcap
--   tshark -X lua_script:devtools/wireshark/vfio_user.lua -r FILE.pcap \
--       -T fields -e vfio_user.cmd -e vfio_user.msg_id
--
-- or copy it into the personal Lua plugins folder
-- (~/.local/lib/wireshark/plugins/). Filter with "vfio_user"; every field
-- is under vfio_user.* (Analyze > Expert Info lists error replies).

local p = Proto("vfio_user", "vfio-user")

-- ------------------------------------------------------------------
-- value strings

local commands = {
	[1] = "VERSION", [2] = "DMA_MAP", [3] = "DMA_UNMAP",
	[4] = "DEVICE_GET_INFO", [5] = "DEVICE_GET_REGION_INFO",
	[6] = "DEVICE_GET_REGION_IO_FDS", [7] = "DEVICE_GET_IRQ_INFO",
	[8] = "DEVICE_SET_IRQS", [9] = "REGION_READ", [10] = "REGION_WRITE",
	[11] = "DMA_READ", [12] = "DMA_WRITE", [13] = "DEVICE_RESET",
	[14] = "DIRTY_PAGES (removed)", [15] = "REGION_WRITE_MULTI",
	[16] = "DEVICE_FEATURE", [17] = "MIG_DATA_READ",
	[18] = "MIG_DATA_WRITE",
}

local msg_types = { [0] = "command", [1] = "reply" }

local directions = { [0] = "client -> server", [1] = "server -> client" }
local sockets = { [0] = "main", [1] = "twin" }
local recorders = {
	[0] = "server library", [1] = "client library", [2] = "proxy",
}

-- Linux errno names
local errnos = {
	[0] = "none",
	[1] = "EPERM", [2] = "ENOENT", [3] = "ESRCH", [4] = "EINTR",
	[5] = "EIO", [6] = "ENXIO", [7] = "E2BIG", [8] = "ENOEXEC",
	[9] = "EBADF", [10] = "ECHILD", [11] = "EAGAIN", [12] = "ENOMEM",
	[13] = "EACCES", [14] = "EFAULT", [15] = "ENOTBLK", [16] = "EBUSY",
	[17] = "EEXIST", [18] = "EXDEV", [19] = "ENODEV", [20] = "ENOTDIR",
	[21] = "EISDIR", [22] = "EINVAL", [23] = "ENFILE", [24] = "EMFILE",
	[25] = "ENOTTY", [26] = "ETXTBSY", [27] = "EFBIG", [28] = "ENOSPC",
	[29] = "ESPIPE", [30] = "EROFS", [31] = "EMLINK", [32] = "EPIPE",
	[33] = "EDOM", [34] = "ERANGE", [35] = "EDEADLK",
	[36] = "ENAMETOOLONG", [37] = "ENOLCK", [38] = "ENOSYS",
	[39] = "ENOTEMPTY", [40] = "ELOOP", [42] = "ENOMSG", [43] = "EIDRM",
	[61] = "ENODATA", [62] = "ETIME", [71] = "EPROTO",
	[74] = "EBADMSG", [75] = "EOVERFLOW", [84] = "EILSEQ",
	[90] = "EMSGSIZE", [93] = "EPROTONOSUPPORT", [95] = "EOPNOTSUPP",
	[98] = "EADDRINUSE", [103] = "ECONNABORTED", [104] = "ECONNRESET",
	[105] = "ENOBUFS", [107] = "ENOTCONN", [108] = "ESHUTDOWN",
	[110] = "ETIMEDOUT", [111] = "ECONNREFUSED", [114] = "EALREADY",
	[115] = "EINPROGRESS", [116] = "ESTALE", [122] = "EDQUOT",
	[125] = "ECANCELED", [130] = "EOWNERDEAD",
}

local irq_indexes = {
	[0] = "INTx", [1] = "MSI", [2] = "MSI-X", [3] = "ERR", [4] = "REQ",
}

local pci_regions = {
	[0] = "BAR0", [1] = "BAR1", [2] = "BAR2", [3] = "BAR3", [4] = "BAR4",
	[5] = "BAR5", [6] = "ROM", [7] = "CONFIG", [8] = "VGA",
}

local region_caps = {
	[1] = "SPARSE_MMAP", [2] = "TYPE", [3] = "MSIX_MAPPABLE",
}

local io_fd_types = {
	[0] = "IOEVENTFD", [1] = "IOREGIONFD", [2] = "IOEVENTFD_SHADOW",
}

local features = {
	[1] = "MIGRATION", [2] = "MIG_DEVICE_STATE",
	[6] = "DMA_LOGGING_START", [7] = "DMA_LOGGING_STOP",
	[8] = "DMA_LOGGING_REPORT", [9] = "MIG_DATA_SIZE",
}

local mig_states = {
	[0] = "ERROR", [1] = "STOP", [2] = "RUNNING", [3] = "STOP_COPY",
	[4] = "RESUMING", [5] = "RUNNING_P2P", [6] = "PRE_COPY",
	[7] = "PRE_COPY_P2P",
}

-- ------------------------------------------------------------------
-- fields

local F = {}
local function def(key, ftype, abbr, label, base, vs, mask)
	F[key] = ProtoField[ftype]("vfio_user." .. abbr, label, base, vs,
		mask)
end

-- capture header
def("cap_version", "uint8", "cap.version", "Capture header version")
def("cap_hdr_len", "uint8", "cap.hdr_len", "Capture header length")
def("direction", "uint8", "direction", "Direction", base.DEC, directions)
def("socket", "uint8", "socket", "Socket", base.DEC, sockets)
def("recorder", "uint8", "recorder", "Recorded by", base.DEC, recorders)
def("cap_flags", "uint8", "cap.flags", "Capture flags", base.HEX)
def("cap_sent", "bool", "cap.sent", "Sent by the recorder", 8, nil, 0x01)
def("cap_fds_trunc", "bool", "cap.fds_truncated", "Fds truncated", 8, nil,
	0x02)
def("cap_dropped", "bool", "cap.dropped",
	"Payload dropped by the receiver (oversize)", 8, nil, 0x04)
def("cap_big", "bool", "cap.big_endian", "Big-endian message", 8, nil,
	0x08)
def("nr_fds", "uint16", "nr_fds", "File descriptors")
def("dev_id", "uint32", "dev_id", "Device id (proxy: connection)")
def("cap_reserved", "uint32", "cap.reserved", "Reserved", base.HEX)

-- message header
def("msg_id", "uint16", "msg_id", "Message id")
def("cmd", "uint16", "cmd", "Command", base.DEC, commands)
def("size", "uint32", "size", "Message size")
def("flags", "uint32", "flags", "Flags", base.HEX)
def("flags_type", "uint32", "flags.type", "Type", base.DEC, msg_types, 0xf)
def("flags_no_reply", "bool", "flags.no_reply", "No reply", 32, nil, 0x10)
def("flags_error", "bool", "flags.error", "Error", 32, nil, 0x20)
def("error", "uint32", "error", "Error (errno)", base.DEC, errnos)
def("request_in", "framenum", "request_in", "Request in frame")
def("response_in", "framenum", "response_in", "Response in frame")
def("payload", "bytes", "payload", "Payload")
def("data", "bytes", "data", "Data")
def("argsz", "uint32", "argsz", "argsz")

-- VERSION
def("major", "uint16", "version.major", "Major")
def("minor", "uint16", "version.minor", "Minor")
def("json", "string", "version.json", "Capabilities (JSON)")

-- DMA_MAP / DMA_UNMAP
def("dma_flags", "uint32", "dma.flags", "Flags", base.HEX)
def("dma_read", "bool", "dma.flags.read", "READ", 32, nil, 0x1)
def("dma_write", "bool", "dma.flags.write", "WRITE", 32, nil, 0x2)
def("dma_mmap", "bool", "dma.flags.mmap", "MMAP (libvfio-user)", 32, nil,
	0x4)
def("dma_file_io", "bool", "dma.flags.file_io", "FILE_IO (libvfio-user)",
	32, nil, 0x8)
def("unmap_dirty", "bool", "dma.flags.get_dirty_bitmap",
	"GET_DIRTY_BITMAP", 32, nil, 0x1)
def("unmap_all", "bool", "dma.flags.all", "ALL", 32, nil, 0x2)
def("dma_offset", "uint64", "dma.offset", "File offset", base.HEX)
def("dma_addr", "uint64", "dma.addr", "Address (IOVA)", base.HEX)
def("dma_size", "uint64", "dma.size", "Size", base.HEX)
def("bitmap_pgsize", "uint64", "dma.bitmap.pgsize", "Bitmap page size")
def("bitmap_size", "uint64", "dma.bitmap.size", "Bitmap size")

-- DEVICE_GET_INFO
def("dev_flags", "uint32", "device.flags", "Flags", base.HEX)
def("dev_reset", "bool", "device.flags.reset", "RESET", 32, nil, 0x1)
def("dev_pci", "bool", "device.flags.pci", "PCI", 32, nil, 0x2)
def("num_regions", "uint32", "device.num_regions", "Regions")
def("num_irqs", "uint32", "device.num_irqs", "IRQ types")

-- DEVICE_GET_REGION_INFO
def("reg_flags", "uint32", "region.flags", "Flags", base.HEX)
def("reg_read", "bool", "region.flags.read", "READ", 32, nil, 0x1)
def("reg_write", "bool", "region.flags.write", "WRITE", 32, nil, 0x2)
def("reg_mmap", "bool", "region.flags.mmap", "MMAP", 32, nil, 0x4)
def("reg_caps", "bool", "region.flags.caps", "CAPS", 32, nil, 0x8)
def("reg_index", "uint32", "region.index", "Region", base.DEC, pci_regions)
def("cap_offset", "uint32", "region.cap_offset", "Capability offset")
def("reg_size", "uint64", "region.size", "Size", base.HEX)
def("reg_offset", "uint64", "region.offset", "Offset (mmap)", base.HEX)
def("rcap_id", "uint16", "region.cap.id", "Capability", base.DEC,
	region_caps)
def("rcap_version", "uint16", "region.cap.version", "Version")
def("rcap_next", "uint32", "region.cap.next", "Next")
def("nr_areas", "uint32", "region.cap.nr_areas", "Areas")
def("area_offset", "uint64", "region.cap.area.offset", "Area offset",
	base.HEX)
def("area_size", "uint64", "region.cap.area.size", "Area size", base.HEX)
def("rcap_type", "uint32", "region.cap.type", "Type", base.HEX)
def("rcap_subtype", "uint32", "region.cap.subtype", "Subtype", base.HEX)

-- DEVICE_GET_REGION_IO_FDS
def("iofd_flags", "uint32", "io_fds.flags", "Flags", base.HEX)
def("iofd_count", "uint32", "io_fds.count", "Sub-regions")
def("sub_offset", "uint64", "io_fds.sub.offset", "Offset", base.HEX)
def("sub_size", "uint64", "io_fds.sub.size", "Size")
def("sub_fd_index", "uint32", "io_fds.sub.fd_index", "Fd index")
def("sub_type", "uint32", "io_fds.sub.type", "Type", base.DEC, io_fd_types)
def("sub_flags", "uint32", "io_fds.sub.flags", "Flags", base.HEX)
def("sub_shadow_fd", "uint32", "io_fds.sub.shadow_fd_index",
	"Shadow fd index")
def("sub_shadow_off", "uint64", "io_fds.sub.shadow_offset",
	"Shadow offset", base.HEX)
def("sub_datamatch", "uint64", "io_fds.sub.datamatch", "Datamatch",
	base.HEX)

-- DEVICE_GET_IRQ_INFO / DEVICE_SET_IRQS
def("irq_flags", "uint32", "irq.flags", "Flags", base.HEX)
def("irq_eventfd", "bool", "irq.flags.eventfd", "EVENTFD", 32, nil, 0x1)
def("irq_maskable", "bool", "irq.flags.maskable", "MASKABLE", 32, nil, 0x2)
def("irq_automasked", "bool", "irq.flags.automasked", "AUTOMASKED", 32,
	nil, 0x4)
def("irq_noresize", "bool", "irq.flags.noresize", "NORESIZE", 32, nil, 0x8)
def("irq_index", "uint32", "irq.index", "IRQ index", base.DEC, irq_indexes)
def("irq_count", "uint32", "irq.count", "Count")
def("irq_start", "uint32", "irq.start", "Start")
def("set_flags", "uint32", "irq_set.flags", "Flags", base.HEX)
def("set_none", "bool", "irq_set.flags.data_none", "DATA_NONE", 32, nil,
	0x01)
def("set_bool", "bool", "irq_set.flags.data_bool", "DATA_BOOL", 32, nil,
	0x02)
def("set_eventfd", "bool", "irq_set.flags.data_eventfd", "DATA_EVENTFD",
	32, nil, 0x04)
def("set_mask", "bool", "irq_set.flags.action_mask", "ACTION_MASK", 32,
	nil, 0x08)
def("set_unmask", "bool", "irq_set.flags.action_unmask", "ACTION_UNMASK",
	32, nil, 0x10)
def("set_trigger", "bool", "irq_set.flags.action_trigger",
	"ACTION_TRIGGER", 32, nil, 0x20)
def("set_bools", "bytes", "irq_set.bools", "Bools")

-- REGION_READ / REGION_WRITE / REGION_WRITE_MULTI
def("acc_offset", "uint64", "region_access.offset", "Offset", base.HEX)
def("acc_region", "uint32", "region_access.region", "Region", base.DEC,
	pci_regions)
def("acc_count", "uint32", "region_access.count", "Count")
def("wr_cnt", "uint64", "write_multi.wr_cnt", "Writes")

-- DMA_READ / DMA_WRITE
def("dacc_addr", "uint64", "dma_access.addr", "Address", base.HEX)
def("dacc_count", "uint64", "dma_access.count", "Count")

-- DEVICE_FEATURE / MIG_DATA_*
def("feat_flags", "uint32", "feature.flags", "Flags", base.HEX)
def("feat_index", "uint32", "feature.index", "Feature", base.DEC, features,
	0xffff)
def("feat_get", "bool", "feature.get", "GET", 32, nil, 0x10000)
def("feat_set", "bool", "feature.set", "SET", 32, nil, 0x20000)
def("feat_probe", "bool", "feature.probe", "PROBE", 32, nil, 0x40000)
def("mig_flags", "uint64", "mig.flags", "Migration flags", base.HEX)
def("mig_state", "uint32", "mig.device_state", "Device state", base.DEC,
	mig_states)
def("mig_data_fd", "int32", "mig.data_fd", "Data fd")
def("log_page_size", "uint64", "dma_logging.page_size", "Page size")
def("log_num_ranges", "uint32", "dma_logging.num_ranges", "Ranges")
def("log_reserved", "uint32", "dma_logging.reserved", "Reserved")
def("log_iova", "uint64", "dma_logging.iova", "IOVA", base.HEX)
def("log_length", "uint64", "dma_logging.length", "Length", base.HEX)
def("log_bitmap", "bytes", "dma_logging.bitmap", "Bitmap")
def("stop_copy_len", "uint64", "mig.stop_copy_length", "Stop-copy length")
def("mig_size", "uint32", "mig_data.size", "Size")

local fields = {}
for _, v in pairs(F) do
	fields[#fields + 1] = v
end
p.fields = fields

local ef_error = ProtoExpert.new("vfio_user.expert.error",
	"Error reply", expert.group.RESPONSE_CODE, expert.severity.WARN)
local ef_short = ProtoExpert.new("vfio_user.expert.short",
	"Payload shorter than the command's structure",
	expert.group.MALFORMED, expert.severity.ERROR)
p.experts = { ef_error, ef_short }

-- ------------------------------------------------------------------
-- dissection helpers: one message at a time (Lua runs on one thread)

local buf       -- the message's Tvb (from the vfio-user header on)
local big       -- its fields are big-endian
local cut       -- a field did not fit (short payload or snaplen)
local msize     -- the message's size on the wire (header's size field)

local function fits(off, len)
	return off >= 0 and len >= 0 and off + len <= buf:len()
end

-- Add field key at off (len bytes) to tree; returns its value or nil.
local function add(tree, key, off, len)
	if not fits(off, len) then
		cut = true
		return nil
	end
	local r = buf:range(off, len)
	local item
	if big then
		item = tree:add(F[key], r)
	else
		item = tree:add_le(F[key], r)
	end
	local v
	if len == 8 then
		v = big and r:uint64() or r:le_uint64()
	elseif len <= 4 and len > 0 and F[key] ~= F.data then
		v = big and r:uint() or r:le_uint()
	end
	return v, item
end

local function add_bytes(tree, key, off, len)
	len = math.min(len, buf:len() - off)
	if len > 0 then
		tree:add(F[key], buf:range(off, len))
	end
end

-- Add a flags word with its bit fields under it.
local function add_flags(tree, key, off, len, bits)
	local v, item = add(tree, key, off, len)
	if item ~= nil then
		local r = buf:range(off, len)
		for _, b in ipairs(bits) do
			if big then
				item:add(F[b], r)
			else
				item:add_le(F[b], r)
			end
		end
	end
	return v
end

local function num(v)
	if v == nil then
		return nil
	end
	if type(v) == "number" then
		return v
	end
	return v:tonumber()
end

-- ------------------------------------------------------------------
-- payloads: P is the payload's offset in buf; reply: the message is a
-- reply; info: table of words for the Info column

local P = 16

local function d_version(t, reply, info)
	local ma = add(t, "major", P, 2)
	local mi = add(t, "minor", P + 2, 2)
	if ma ~= nil and mi ~= nil then
		info[#info + 1] = string.format("%d.%d", ma, mi)
	end
	-- the JSON text without its NUL (none when cut at snaplen)
	local n = buf:len() - P - 4
	if n > 0 and buf:range(P + 4 + n - 1, 1):uint() == 0 then
		n = n - 1
	end
	if n > 0 then
		t:add(F.json, buf:range(P + 4, n))
	end
end

local function d_dma_map(t, reply, info)
	if reply then
		return
	end
	add(t, "argsz", P, 4)
	add_flags(t, "dma_flags", P + 4, 4,
		{ "dma_read", "dma_write", "dma_mmap", "dma_file_io" })
	add(t, "dma_offset", P + 8, 8)
	local a = add(t, "dma_addr", P + 16, 8)
	local s = add(t, "dma_size", P + 24, 8)
	if a ~= nil and s ~= nil then
		info[#info + 1] = string.format("addr 0x%x size 0x%x",
			num(a), num(s))
	end
end

local function d_dma_unmap(t, reply, info)
	if reply and buf:len() <= P then
		return
	end
	add(t, "argsz", P, 4)
	local fl = add_flags(t, "dma_flags", P + 4, 4,
		{ "unmap_dirty", "unmap_all" })
	local a = add(t, "dma_addr", P + 8, 8)
	local s = add(t, "dma_size", P + 16, 8)
	if a ~= nil and s ~= nil then
		info[#info + 1] = string.format("addr 0x%x size 0x%x",
			num(a), num(s))
	end
	if fl ~= nil and bit32.band(fl, 1) ~= 0 and fits(P + 24, 16) then
		add(t, "bitmap_pgsize", P + 24, 8)
		add(t, "bitmap_size", P + 32, 8)
		add_bytes(t, "data", P + 40, buf:len() - P - 40)
	end
end

local function d_dev_info(t, reply, info)
	add(t, "argsz", P, 4)
	add_flags(t, "dev_flags", P + 4, 4, { "dev_reset", "dev_pci" })
	local nr = add(t, "num_regions", P + 8, 4)
	local ni = add(t, "num_irqs", P + 12, 4)
	if reply and nr ~= nil and ni ~= nil then
		info[#info + 1] = string.format("%d regions, %d irq types",
			nr, ni)
	end
end

-- Region info capability chain: offsets count from the structure (P).
local function d_region_caps(t, first)
	local off, seen = first, 0
	while off ~= 0 and seen < 16 and fits(P + off, 8) do
		seen = seen + 1
		local id = big and buf:range(P + off, 2):uint() or
			buf:range(P + off, 2):le_uint()
		local ct = t:add(p, buf:range(P + off,
			math.min(buf:len() - P - off, 16)),
			"Capability " .. (region_caps[id] or tostring(id)))
		add(ct, "rcap_id", P + off, 2)
		add(ct, "rcap_version", P + off + 2, 2)
		local nxt = add(ct, "rcap_next", P + off + 4, 4)
		if id == 1 then
			local n = add(ct, "nr_areas", P + off + 8, 4) or 0
			for i = 0, math.min(n, 64) - 1 do
				local a = P + off + 16 + i * 16
				if not fits(a, 16) then
					break
				end
				local at = ct:add(p, buf:range(a, 16),
					"Area " .. i)
				add(at, "area_offset", a, 8)
				add(at, "area_size", a + 8, 8)
			end
		elseif id == 2 then
			add(ct, "rcap_type", P + off + 8, 4)
			add(ct, "rcap_subtype", P + off + 12, 4)
		end
		if nxt == nil or nxt <= off then
			break
		end
		off = nxt
	end
end

local function d_region_info(t, reply, info)
	add(t, "argsz", P, 4)
	local fl = add_flags(t, "reg_flags", P + 4, 4,
		{ "reg_read", "reg_write", "reg_mmap", "reg_caps" })
	local idx = add(t, "reg_index", P + 8, 4)
	local co = add(t, "cap_offset", P + 12, 4)
	local sz = add(t, "reg_size", P + 16, 8)
	add(t, "reg_offset", P + 24, 8)
	if idx ~= nil then
		info[#info + 1] = "region " .. (pci_regions[idx] or idx)
	end
	if reply and sz ~= nil then
		info[#info + 1] = string.format("size 0x%x", num(sz))
	end
	if reply and fl ~= nil and bit32.band(fl, 8) ~= 0 and co ~= nil and
			co >= 32 then
		d_region_caps(t, co)
	end
end

local function d_io_fds(t, reply, info)
	add(t, "argsz", P, 4)
	add(t, "iofd_flags", P + 4, 4)
	local idx = add(t, "reg_index", P + 8, 4)
	local n = add(t, "iofd_count", P + 12, 4)
	if idx ~= nil then
		info[#info + 1] = "region " .. (pci_regions[idx] or idx)
	end
	if not reply or n == nil or n == 0 then
		return
	end
	info[#info + 1] = n .. " sub-regions"
	local room = msize - P - 16
	-- libvfio-user's entries are 48 bytes, the specification's 40
	local stride = math.floor(room / n)
	if stride ~= 40 and stride ~= 48 then
		stride = 48
	end
	for i = 0, math.min(n, 256) - 1 do
		local e = P + 16 + i * stride
		if not fits(e, stride) then
			break
		end
		local et = t:add(p, buf:range(e, stride), "Sub-region " .. i)
		add(et, "sub_offset", e, 8)
		add(et, "sub_size", e + 8, 8)
		add(et, "sub_fd_index", e + 16, 4)
		add(et, "sub_type", e + 20, 4)
		add(et, "sub_flags", e + 24, 4)
		if stride == 48 then
			add(et, "sub_shadow_fd", e + 28, 4)
			add(et, "sub_shadow_off", e + 32, 8)
			add(et, "sub_datamatch", e + 40, 8)
		else
			add(et, "sub_datamatch", e + 32, 8)
		end
	end
end

local function d_irq_info(t, reply, info)
	add(t, "argsz", P, 4)
	add_flags(t, "irq_flags", P + 4, 4, { "irq_eventfd", "irq_maskable",
		"irq_automasked", "irq_noresize" })
	local idx = add(t, "irq_index", P + 8, 4)
	local n = add(t, "irq_count", P + 12, 4)
	if idx ~= nil then
		info[#info + 1] = "irq " .. (irq_indexes[idx] or idx)
	end
	if reply and n ~= nil then
		info[#info + 1] = "count " .. n
	end
end

local function d_set_irqs(t, reply, info)
	if reply then
		return
	end
	add(t, "argsz", P, 4)
	local fl = add_flags(t, "set_flags", P + 4, 4, { "set_none",
		"set_bool", "set_eventfd", "set_mask", "set_unmask",
		"set_trigger" })
	local idx = add(t, "irq_index", P + 8, 4)
	local st = add(t, "irq_start", P + 12, 4)
	local n = add(t, "irq_count", P + 16, 4)
	if idx ~= nil and st ~= nil and n ~= nil then
		info[#info + 1] = string.format("irq %s start %d count %d",
			irq_indexes[idx] or tostring(idx), st, n)
	end
	if fl ~= nil and bit32.band(fl, 2) ~= 0 then
		add_bytes(t, "set_bools", P + 20, buf:len() - P - 20)
	end
end

local function d_region_access(t, reply, info)
	local o = add(t, "acc_offset", P, 8)
	local r = add(t, "acc_region", P + 8, 4)
	local n = add(t, "acc_count", P + 12, 4)
	if o ~= nil and r ~= nil and n ~= nil then
		info[#info + 1] = string.format("%s offset 0x%x count %d",
			pci_regions[r] or tostring(r), num(o), n)
	end
	add_bytes(t, "data", P + 16, buf:len() - P - 16)
end

local function d_dma_access(t, reply, info)
	if reply and buf:len() <= P then
		return  -- QEMU's header-only DMA_WRITE reply
	end
	local a = add(t, "dacc_addr", P, 8)
	local n = add(t, "dacc_count", P + 8, 8)
	if a ~= nil and n ~= nil then
		info[#info + 1] = string.format("addr 0x%x count %d", num(a),
			num(n))
	end
	add_bytes(t, "data", P + 16, buf:len() - P - 16)
end

local function d_write_multi(t, reply, info)
	local n = add(t, "wr_cnt", P, 8)
	if n ~= nil then
		info[#info + 1] = num(n) .. " writes"
	end
	if reply or n == nil then
		return
	end
	for i = 0, math.min(num(n), 1024) - 1 do
		local e = P + 8 + i * 24
		if not fits(e, 24) then
			break
		end
		local et = buf:range(e, 24)
		local wt = t:add(p, et, "Write " .. i)
		add(wt, "acc_offset", e, 8)
		add(wt, "acc_region", e + 8, 4)
		add(wt, "acc_count", e + 12, 4)
		add_bytes(wt, "data", e + 16, 8)
	end
end

local function d_feature(t, reply, info)
	add(t, "argsz", P, 4)
	local fl = add_flags(t, "feat_flags", P + 4, 4,
		{ "feat_index", "feat_get", "feat_set", "feat_probe" })
	if fl == nil then
		return
	end
	local idx = bit32.band(fl, 0xffff)
	local ops = {}
	if bit32.band(fl, 0x10000) ~= 0 then ops[#ops + 1] = "GET" end
	if bit32.band(fl, 0x20000) ~= 0 then ops[#ops + 1] = "SET" end
	if bit32.band(fl, 0x40000) ~= 0 then ops[#ops + 1] = "PROBE" end
	info[#info + 1] = (features[idx] or tostring(idx)) .. " " ..
		table.concat(ops, "|")
	local d = P + 8
	if buf:len() <= d then
		return
	end
	if idx == 1 then
		add(t, "mig_flags", d, 8)
	elseif idx == 2 then
		local s = add(t, "mig_state", d, 4)
		add(t, "mig_data_fd", d + 4, 4)
		if s ~= nil then
			info[#info + 1] = mig_states[s] or tostring(s)
		end
	elseif idx == 6 then
		add(t, "log_page_size", d, 8)
		local n = add(t, "log_num_ranges", d + 8, 4) or 0
		add(t, "log_reserved", d + 12, 4)
		for i = 0, math.min(n, 1024) - 1 do
			local e = d + 16 + i * 16
			if not fits(e, 16) then
				break
			end
			local rt = t:add(p, buf:range(e, 16), "Range " .. i)
			add(rt, "log_iova", e, 8)
			add(rt, "log_length", e + 8, 8)
		end
	elseif idx == 8 then
		add(t, "log_iova", d, 8)
		add(t, "log_length", d + 8, 8)
		add(t, "log_page_size", d + 16, 8)
		add_bytes(t, "log_bitmap", d + 24, buf:len() - d - 24)
	elseif idx == 9 then
		add(t, "stop_copy_len", d, 8)
	else
		add_bytes(t, "data", d, buf:len() - d)
	end
end

local function d_mig_data(t, reply, info)
	if reply and buf:len() <= P then
		return  -- MIG_DATA_WRITE's reply
	end
	add(t, "argsz", P, 4)
	local s = add(t, "mig_size", P + 4, 4)
	if s ~= nil then
		info[#info + 1] = "size " .. s
	end
	add_bytes(t, "data", P + 8, buf:len() - P - 8)
end

local payloads = {
	[1] = d_version, [2] = d_dma_map, [3] = d_dma_unmap,
	[4] = d_dev_info, [5] = d_region_info, [6] = d_io_fds,
	[7] = d_irq_info, [8] = d_set_irqs, [9] = d_region_access,
	[10] = d_region_access, [11] = d_dma_access, [12] = d_dma_access,
	[15] = d_write_multi, [16] = d_feature, [17] = d_mig_data,
	[18] = d_mig_data,
}

-- ------------------------------------------------------------------
-- request / reply matching (first pass), by device, socket, the
-- request's direction, id and command

local pending = {}
local request_of = {}
local response_of = {}

function p.init()
	pending = {}
	request_of = {}
	response_of = {}
end

local function match(pinfo, dev, sock, dir, id, cmd, is_reply, no_reply)
	if pinfo.visited then
		return
	end
	local req_dir = is_reply and (1 - dir) or dir
	local key = table.concat({ dev, sock, req_dir, id, cmd }, ":")
	if not is_reply then
		if not no_reply then
			pending[key] = pinfo.number
		end
	elseif pending[key] ~= nil then
		request_of[pinfo.number] = pending[key]
		response_of[pending[key]] = pinfo.number
		pending[key] = nil
	end
end

-- ------------------------------------------------------------------

function p.dissector(tvb, pinfo, tree)
	if tvb:len() < 16 then
		return 0
	end
	pinfo.cols.protocol = "vfio-user"
	local root = tree:add(p, tvb(), "vfio-user")

	-- capture header (little-endian)
	local hl = tvb(1, 1):uint()
	if hl < 16 or hl > tvb:len() then
		hl = 16
	end
	local ct = root:add(p, tvb(0, hl), "Capture header")
	ct:add(F.cap_version, tvb(0, 1))
	ct:add(F.cap_hdr_len, tvb(1, 1))
	local dir = tvb(2, 1):uint()
	local sock = tvb(3, 1):uint()
	ct:add(F.direction, tvb(2, 1))
	ct:add(F.socket, tvb(3, 1))
	ct:add(F.recorder, tvb(4, 1))
	local cf = ct:add(F.cap_flags, tvb(5, 1))
	cf:add(F.cap_sent, tvb(5, 1))
	cf:add(F.cap_fds_trunc, tvb(5, 1))
	cf:add(F.cap_dropped, tvb(5, 1))
	cf:add(F.cap_big, tvb(5, 1))
	local nfds = tvb(6, 2):le_uint()
	ct:add_le(F.nr_fds, tvb(6, 2))
	local dev = tvb(8, 4):le_uint()
	ct:add_le(F.dev_id, tvb(8, 4))
	ct:add_le(F.cap_reserved, tvb(12, 4))
	big = bit32.band(tvb(5, 1):uint(), 0x08) ~= 0
	pinfo.cols.src = dir == 0 and "client" or "server"
	pinfo.cols.dst = dir == 0 and "server" or "client"

	if tvb:len() < hl + 16 then
		root:add_proto_expert_info(ef_short, "vfio-user header cut")
		return tvb:len()
	end
	buf = tvb(hl):tvb()
	cut = false

	-- vfio-user header
	local ht = root:add(p, buf(0, 16), "Header")
	local id = add(ht, "msg_id", 0, 2)
	local cmd = add(ht, "cmd", 2, 2)
	msize = add(ht, "size", 4, 4)
	local fl = add_flags(ht, "flags", 8, 4,
		{ "flags_type", "flags_no_reply", "flags_error" })
	local err = add(ht, "error", 12, 4)
	local is_reply = bit32.band(fl, 0xf) == 1
	local is_error = bit32.band(fl, 0x20) ~= 0
	local no_reply = bit32.band(fl, 0x10) ~= 0

	local name = commands[cmd] or ("command " .. cmd)
	local info = {}
	info[#info + 1] = (dir == 0 and "C>S" or "S>C") ..
		(sock == 1 and " twin" or "")
	info[#info + 1] = name
	info[#info + 1] = is_reply and "reply" or "request"
	info[#info + 1] = "id " .. id
	if no_reply then
		info[#info + 1] = "(no reply)"
	end
	if nfds > 0 then
		info[#info + 1] = "fds " .. nfds
	end
	local truncated = msize > buf:len()

	match(pinfo, dev, sock, dir, id, cmd, is_reply, no_reply)
	if request_of[pinfo.number] ~= nil then
		root:add(F.request_in, request_of[pinfo.number]):set_generated()
	end
	if response_of[pinfo.number] ~= nil then
		root:add(F.response_in, response_of[pinfo.number]):set_generated()
	end

	if is_error then
		local en = errnos[err] or tostring(err)
		info[#info + 1] = string.format("ERROR %s (%d)", en, err)
		root:add_proto_expert_info(ef_error, string.format(
			"%s failed: %s (%d)", name, en, err))
	elseif buf:len() > 16 or payloads[cmd] ~= nil then
		local pt = root:add(p, buf(math.min(16, buf:len() - 1)),
			name .. (is_reply and " reply" or " request"))
		local d = payloads[cmd]
		if d ~= nil then
			d(pt, is_reply, info)
		elseif buf:len() > 16 then
			add_bytes(pt, "payload", 16, buf:len() - 16)
		end
		if cut and not truncated then
			pt:add_proto_expert_info(ef_short)
		end
	end
	if truncated then
		info[#info + 1] = string.format("[%d of %d bytes]", buf:len(),
			msize)
	end
	pinfo.cols.info = table.concat(info, " ")
	return tvb:len()
end

-- bind to DLT_USER0 (wiretap's USER0)
local encaps = wtap_encaps or wtap
DissectorTable.get("wtap_encap"):add(encaps.USER0, p)
