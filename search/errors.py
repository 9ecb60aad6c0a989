"""Exceptions of the search side (in the tree of indexer.errors) and their Vietnamese words."""

from __future__ import annotations

from indexer.errors import TracuuError


class SearchError(TracuuError):
    """Base of the search side's errors."""


class InvalidParam(SearchError):
    """A parameter the API refuses, with a machine-readable code (400 over HTTP)."""

    exit_code = 2  # a usage error, like argparse's own

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class SearchTimeout(SearchError):
    """A search that ran past its time limit and was stopped (503 over HTTP)."""

    exit_code = 1


# What a visitor reads, per error code: the API and the page speak Vietnamese; the code stays
# English for programs. The English message of InvalidParam is for the CLI and logs.
MESSAGES = {
    "invalid_page": "Số trang không hợp lệ (một số nguyên từ 1 đến 500).",
    "invalid_size": "Số kết quả mỗi trang không hợp lệ (một số nguyên từ 1 đến 50).",
    "invalid_sort": "Cách sắp xếp không hợp lệ (relevance, newest, oldest, signed_desc hoặc "
    "signed_asc).",
    "invalid_from": "Ngày bắt đầu không hợp lệ (dạng năm-tháng-ngày, vd 2024-01-31).",
    "invalid_to": "Ngày kết thúc không hợp lệ (dạng năm-tháng-ngày, vd 2024-12-31).",
    "invalid_range": "Ngày bắt đầu phải trước ngày kết thúc.",
    "invalid_site": "Tên trang quá dài.",
    "invalid_category": "Tên chuyên mục quá dài.",
    "invalid_doc_type": "Loại văn bản quá dài.",
    "invalid_issuer": "Tên cơ quan ban hành quá dài.",
    "invalid_year": "Năm không hợp lệ (dạng bốn chữ số, vd 2019).",
    "invalid_kind": "Loại nội dung không hợp lệ (van-ban hoặc tin-tuc).",
    "invalid_param": "Tham số tìm kiếm không hợp lệ.",
    "not_found": "Không có đường dẫn này.",
    "document_not_found": "Không có bài viết với mã này.",
    "method_not_allowed": "Phương thức HTTP này không được hỗ trợ ở đây.",
    "no_index": "Chưa có dữ liệu để tìm kiếm: hãy nhập bài viết trước (tracuu index import).",
    "unauthorized": "Thiếu mã quản trị hoặc mã không đúng.",
    "busy": "Đang có một tiến trình ghi khác (nhập hoặc thu thập); hãy thử lại sau.",
    "internal": "Lỗi máy chủ; hãy thử lại sau.",
    "timeout": "Tìm kiếm này mất quá nhiều thời gian và đã dừng; hãy bớt từ khóa hoặc thêm bộ lọc.",
}


def message_for(code: str) -> str:
    """The Vietnamese message of an error code (a generic one for a code without its own)."""
    return MESSAGES.get(code, MESSAGES["invalid_param"])
