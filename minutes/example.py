"""A worked example of the minutes, built in memory (no database): the layout reference kept in
docs/ (`manage.py minutes_example`) and the document of bench/minutes.py."""
from types import SimpleNamespace

from django.template.loader import render_to_string

from minutes import render

PARAGRAPH = ("Đồng chí Trần Văn Thành phát biểu: thống nhất với dự thảo nghị quyết, đề nghị bổ sung nhiệm vụ "
             "phát triển đảng viên trong thanh niên, nâng cao chất lượng sinh hoạt chi bộ, tăng cường kiểm tra, "
             "giám sát việc thực hiện nghị quyết ở các tổ dân phố; đồng thời đề nghị Văn phòng Đảng ủy hoàn thiện "
             "hồ sơ, lưu trữ biên bản điện tử có chữ ký số theo đúng quy định.")


def context(items: int) -> dict:
    committee = SimpleNamespace(name="Đảng ủy phường Hòa Bình", document_symbol="ĐU")
    meeting = SimpleNamespace(title="Hội nghị Ban Chấp hành Đảng bộ phường tháng 12 năm 2026",
                              place="Hội trường Đảng ủy phường")
    poll = {"kind": "Biểu quyết công khai", "title": "Thông qua nghị quyết",
            "rule": "Cơ sở tính: tổng số đảng ủy viên được triệu tập (15); ngưỡng thông qua: quá nửa",
            "eligible_count": 15, "eligible_hash": "ab" * 32, "counts": [("Chưa biểu quyết", 0)],
            "options": [{"label": "Tán thành", "votes": 14, "percent": "93,33%"},
                        {"label": "Không tán thành", "votes": 1, "percent": "6,67%"},
                        {"label": "Không biểu quyết", "votes": 0, "percent": "0%"}],
            "outcome": "Thông qua."}
    people = [{"name": f"Nguyễn Thị Đảng Viên {i}", "reason": ""} for i in range(1, 16)]
    sections = [{"key": f"item.{i}", "title": f"{i}. Nội dung thảo luận số {i}",
                 "paragraphs": [PARAGRAPH] * 6, "polls": [poll]} for i in range(1, items + 1)]
    return {
        "number_line": render.number_line(committee, 12),
        "meeting": meeting, "committee": committee, "superior": "Đảng bộ quận Đống Đa",
        "place_date": "Hà Nội, ngày 28 tháng 12 năm 2026", "date_text": "28/12/2026",
        "start_time": "08 giờ 00", "end_time": "11 giờ 30", "chair_name": "Nguyễn Văn Chủ",
        "secretary_name": "Lê Thị Thư", "chair_upper": "T/M ĐẢNG ỦY", "chair_role": "BÍ THƯ",
        "att": {"called": 15, "convened": 15, "absent_count": 0, "present_count": 15, "present": people, "remote": [], "excused": [],
                "absent": [], "not_counted": [], "guests": []},
        "absent_count": 0,
        "items": [{"number": str(i), "title": f"Nội dung thảo luận số {i}", "presenter": "Lê Thị Thư"}
                  for i in range(1, items + 1)],
        "loose_polls": [], "sections": sections, "event_seq": 1234, "event_hash": "cd" * 32, "event_count": 1234,
    }




def example_html(items: int = 3) -> str:
    return render_to_string("minutes/pdf.html", context(items))
